// Package pb_migrations holds Canyu's database migrations, compiled into the
// binary. Files are named <unix>_<module>_<change>.go. A migration is a
// frozen snapshot: it never imports module code, so later changes to a module
// cannot change what an old migration did.
package pb_migrations
