package pb_migrations

import (
	"strings"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Images in forum replies: up to four per reply, 5 MB each, PNG, JPEG, WebP
// or GIF, with a 640-pixel-wide thumbnail for the topic page.
func init() {
	m.Register(func(app core.App) error {
		posts, err := app.FindCollectionByNameOrId("forum_posts")
		if err != nil {
			return err
		}
		posts.Fields.Add(&core.FileField{Name: "images", MaxSelect: 4, MaxSize: 5 << 20,
			MimeTypes: []string{"image/png", "image/jpeg", "image/webp", "image/gif"}, Thumbs: []string{"640x0"}})
		// members add images only through /api/forum (checked there), never by a record update
		posts.UpdateRule = types.Pointer(*posts.UpdateRule + " && @request.body.images:isset = false")
		return app.Save(posts)
	}, func(app core.App) error {
		posts, err := app.FindCollectionByNameOrId("forum_posts")
		if err != nil {
			return err
		}
		posts.Fields.RemoveByName("images")
		rule := strings.TrimSuffix(*posts.UpdateRule, " && @request.body.images:isset = false")
		posts.UpdateRule = &rule
		return app.Save(posts)
	})
}
