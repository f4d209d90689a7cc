package sales

import (
	"net/http"

	"github.com/canyu/canyu/modules/internal/access"
	"github.com/canyu/canyu/ui"
)

// routes is the sales module's route table. The sale's own API (state,
// challenge, reservations, orders under /api/sales/{id}) is served by the
// lean front in front of PocketBase's router: see front.
func (m *Module) routes() []ui.Route {
	staff := access.RequireRole(access.RoleStaff)
	const get, post = http.MethodGet, http.MethodPost
	return []ui.Route{
		{Method: get, Path: "/sales", Page: m.index},
		{Method: get, Path: "/sales/{id}", Page: m.salePage},
		{Method: get, Path: "/sales/{id}/card/{file}", Raw: m.shareCard},
		{Method: get, Path: "/sales/orders", Page: m.myOrders, Members: true},
		{Method: post, Path: "/sales/{id}/buy", Page: m.buyForm, Members: true},
		{Method: post, Path: "/sales/orders/{id}/cancel", Page: m.cancelForm, Members: true, Limit: m.cancelLimit},
		{Method: get, Path: "/sales/{id}/console", Page: m.console, Members: true, Guard: staff},
		{Method: post, Path: "/sales/{id}/stock", Page: m.addStock, Members: true, Guard: staff, Limit: m.staffLimit},

		{Method: post, Path: "/api/sales/fcodes", API: m.apiIssueFCodes, Members: true, Guard: staff, Limit: m.staffLimit},
		{Method: post, Path: "/api/sales/{id}/stock", API: m.apiAddStock, Members: true, Guard: staff, Limit: m.staffLimit},
		{Method: get, Path: "/api/sales/{id}/orders.csv", API: m.exportOrders, Members: true, Guard: staff},
		{Method: post, Path: "/api/sales/orders/{id}/paid", API: m.apiMarkPaid, Members: true, Guard: staff, Limit: m.staffLimit},
	}
}
