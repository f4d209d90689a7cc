package meetups

import (
	"fmt"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// BenchmarkRSVP is the domain's cost of one RSVP on an event whose line
// grows (the opening of a full event), without HTTP:
// go test -run X -bench RSVP ./modules/meetups
func BenchmarkRSVP(b *testing.B) {
	e := newEnv(b)
	ev := e.event(b, 400)
	users, _ := e.app.FindCachedCollectionByNameOrId("users")
	members := make([]*core.Record, b.N)
	for i := range members { // straight in SQL: bcrypt would dwarf the RSVPs
		id := fmt.Sprintf("bm%013d", i)
		if _, err := e.app.DB().NewQuery("INSERT INTO users (id, email, password, tokenKey, verified, name) VALUES ({:id}, {:e}, 'x', {:id}, 1, 'M')").
			Bind(dbx.Params{"id": id, "e": id + "@x.io"}).Execute(); err != nil {
			b.Fatal(err)
		}
		members[i] = core.NewRecord(users)
		members[i].Id = id
	}
	b.ResetTimer()
	for i := range b.N {
		if _, err := e.m.RSVP(members[i], ev.Id, nil); err != nil {
			b.Fatal(err)
		}
	}
}
