package access

import (
	"net/http"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
)

func TestRequireRole(t *testing.T) {
	cases := []struct {
		name   string
		roles  []string
		guest  bool
		status int
	}{
		{"guest", nil, true, 401},
		{"plain member", nil, false, 403},
		{"moderator", []string{RoleModerator}, false, 403},
		{"staff", []string{RoleStaff}, false, 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var s tests.ApiScenario
			s = tests.ApiScenario{
				Method: http.MethodGet, URL: "/staff-only", ExpectedStatus: c.status, ExpectedContent: []string{`"`},
				BeforeTestFunc: func(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
					users, _ := app.FindCollectionByNameOrId("users")
					if users.Fields.GetByName("roles") == nil {
						users.Fields.Add(&core.SelectField{Name: "roles", MaxSelect: 4, Values: []string{RoleStaff, RoleModerator, RolePresident, RoleAdvisor}})
						if err := app.Save(users); err != nil {
							t.Fatal(err)
						}
					}
					m, err := app.FindAuthRecordByEmail("users", "test@example.com")
					if err != nil {
						t.Fatal(err)
					}
					m.Set("roles", c.roles)
					if err := app.Save(m); err != nil {
						t.Fatal(err)
					}
					if !c.guest {
						token, _ := m.NewAuthToken()
						s.Headers = map[string]string{"Authorization": token} // read after this func
					}
					e.Router.GET("/staff-only", func(e *core.RequestEvent) error {
						return e.JSON(200, map[string]string{"ok": "yes"})
					}).Bind(RequireRole(RoleStaff))
				},
			}
			s.Test(t)
		})
	}
}

func TestHasRole(t *testing.T) {
	if HasRole(nil, RoleStaff) {
		t.Error("HasRole(nil) = true")
	}
}
