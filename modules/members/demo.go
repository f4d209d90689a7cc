package members

import (
	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/modules/internal/demo"
)

// DemoPassword is the password of every demo member.
const DemoPassword = demo.Password

// SeedDemo adds the demo members (idempotent: existing addresses are kept).
func (m *Module) SeedDemo(app core.App) error {
	return demo.Members(app)
}
