/// <reference path="../../pb_data/types.d.ts" />
// A worked example of a JS plugin: copy it into pb_hooks/ next to the binary.
// No rebuild: Canyu loads every *.pb.js at start (plugins.watch reloads on change).

// Before-event: throwing refuses the action; the message reaches the member.
onCanyuEvent("phone.binding", (e) => {
  if (e.data.phone_prefix === "+86170" || e.data.phone_prefix === "+86171") {
    throw new Error("Virtual operator numbers cannot be bound.")
  }
})

// After-event: runs once the sign-up is committed.
onCanyuEvent("member.signed_up", (e) => {
  const member = $app.findRecordById("users", e.data.member.id)
  if (!member.getString("bio")) {
    member.set("bio", "New here. Say hello!")
    $app.save(member)
  }
  console.log("welcome", e.data.member.name)
})

// PocketBase's own hooks work as usual next to Canyu's events.
onRecordCreateRequest((e) => {
  e.record.set("city", e.record.getString("city").trim())
  e.next()
}, "users")
