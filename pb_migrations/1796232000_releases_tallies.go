package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The Popcorn tallies kept as counters, one row per release and name
// ("voters", "upgraded", "mood:4", "loved:<item>", "weakest:<item>"), moved
// in the transaction of each ballot and upgrade: reading a tally is then a
// few rows, not every ballot, at Friday 17:00 and after. The counters of
// the ballots and upgrades already stored are counted once here.
func init() {
	m.Register(func(app core.App) error {
		r, err := app.FindCollectionByNameOrId("releases_releases")
		if err != nil {
			return err
		}
		t := core.NewBaseCollection("releases_tallies", "releases_tal001")
		t.Fields.Add(
			&core.RelationField{Name: "release", CollectionId: r.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.TextField{Name: "name", Required: true, Max: 40},
			&core.NumberField{Name: "count", OnlyInt: true},
		)
		t.AddIndex("idx_releases_tallies_name", true, "release, name", "")
		if err := app.Save(t); err != nil {
			return err
		}
		b, err := app.FindCollectionByNameOrId("releases_ballots")
		if err != nil {
			return err
		}
		b.AddIndex("idx_releases_ballots_updated", false, "release, updated", "")
		if err := app.Save(b); err != nil {
			return err
		}
		_, err = app.DB().NewQuery(`INSERT INTO releases_tallies (id, release, name, count)
			SELECT substr(lower(hex(randomblob(8))), 1, 15), release, name, n FROM (
				SELECT release, 'voters' AS name, COUNT(*) AS n FROM releases_ballots GROUP BY release
				UNION ALL SELECT release, 'upgraded', COUNT(*) FROM releases_upgrades GROUP BY release
				UNION ALL SELECT release, 'mood:' || mood, COUNT(*) FROM releases_ballots WHERE mood BETWEEN 1 AND 5 GROUP BY release, mood
				UNION ALL SELECT release, 'loved:' || loved, COUNT(*) FROM releases_ballots WHERE loved != '' GROUP BY release, loved
				UNION ALL SELECT release, 'weakest:' || weakest, COUNT(*) FROM releases_ballots WHERE weakest != '' GROUP BY release, weakest)`).Execute()
		return err
	}, func(app core.App) error {
		b, err := app.FindCollectionByNameOrId("releases_ballots")
		if err != nil {
			return err
		}
		b.RemoveIndex("idx_releases_ballots_updated")
		if err := app.Save(b); err != nil {
			return err
		}
		return deleteCollections(app, "releases_tallies")
	})
}
