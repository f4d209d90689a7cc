// Package pb_migrations holds Canyu's database migrations, compiled into the
// binary. Files are named <unix>_<module>_<change>.go. A migration is a
// frozen snapshot: it never imports module code, so later changes to a module
// cannot change what an old migration did.
package pb_migrations

import "github.com/pocketbase/pocketbase/core"

// deleteCollections drops collections in the order given (dependents first):
// the "down" of a migration that created them.
func deleteCollections(app core.App, names ...string) error {
	for _, name := range names {
		c, err := app.FindCollectionByNameOrId(name)
		if err != nil {
			return err
		}
		if err := app.Delete(c); err != nil {
			return err
		}
	}
	return nil
}
