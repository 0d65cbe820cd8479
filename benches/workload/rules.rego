# The benchmark policy in Rego: the same rules as the Accord policy that
# `workload::policy()` writes, for the peer comparison. Each violation names
# its rule with the rule's Accord id, so the two engines' counts can be
# compared rule by rule.
#
# `data` holds the declarations of the Accord policy:
#   data.systems     name -> {kind, owner}
#   data.categories  name -> {classification, owner, steward, system_of_record,
#                             writers, required_fields}
#   data.levels      classification -> rank (public 0 < internal 1 <
#                    confidential 2 < restricted 3), Accord's ordered enum
#
# Accord keeps three outcomes (pass, fail, and indeterminate when a value is
# missing); a violation here is a `fail` there, so every condition below asks
# for the value it tests to be present.
package accord

import rego.v1

# ------------------------------------------------------------- manifests

# must encrypted: flows of data above `public` are encrypted in transit.
violations contains {"rule": "encrypted", "doc": input.id, "at": i} if {
	input.kind == "manifest"
	some i, f in input.flows
	data.levels[data.categories[f.data].classification] > data.levels.public
	f.encryption.in_transit == false
}

# must writers: a flow that writes goes to one of the category's writers.
violations contains {"rule": "writers", "doc": input.id, "at": i} if {
	input.kind == "manifest"
	some i, f in input.flows
	f.writes == true
	category := data.categories[f.data]
	not f.to in category.writers
}

# must known_systems: both ends of a flow are declared systems.
violations contains {"rule": "known_systems", "doc": input.id, "at": i} if {
	input.kind == "manifest"
	some i, f in input.flows
	not known_ends(f)
}

known_ends(f) if {
	data.systems[f.from]
	data.systems[f.to]
}

# -------------------------------------------------------- questionnaires

# must vendor.soc2
violations contains {"rule": "vendor.soc2", "doc": input.id, "at": 0} if {
	input.kind == "questionnaire"
	is_array(input.vendor.certifications)
	not "SOC 2 Type II" in input.vendor.certifications
}

# should vendor.eu
violations contains {"rule": "vendor.eu", "doc": input.id, "at": 0} if {
	input.kind == "questionnaire"
	input.vendor.data_residency != "EU"
}

# should vendor.sso: SAML or OIDC.
violations contains {"rule": "vendor.sso", "doc": input.id, "at": 0} if {
	input.kind == "questionnaire"
	input.vendor.sso.saml == false
	input.vendor.sso.oidc == false
}

# may vendor.breach: breaches are notified within 72 hours.
violations contains {"rule": "vendor.breach", "doc": input.id, "at": 0} if {
	input.kind == "questionnaire"
	input.vendor.breach_notification_hours > 72
}

# ------------------------------------------------------- change requests

field_changes := {"add_field", "remove_field", "rename_field", "change_type"}

approved_by(role) if {
	some a in input.approvals
	a.role == role
}

# must cr_governed: a change names only declared data categories.
violations contains {"rule": "cr_governed", "doc": input.id, "at": i} if {
	input.kind == "change_request"
	some i, c in input.changes
	c.data
	not data.categories[c.data]
}

# must cr_names_data: a field change says which category it changes.
violations contains {"rule": "cr_names_data", "doc": input.id, "at": i} if {
	input.kind == "change_request"
	some i, c in input.changes
	c.kind in field_changes
	not c.data
}

# must cr_owner: the category's owner approved.
violations contains {"rule": "cr_owner", "doc": input.id, "at": i} if {
	input.kind == "change_request"
	some i, c in input.changes
	category := data.categories[c.data]
	not approved_by(category.owner)
}

# must cr_steward: the category's steward approved.
violations contains {"rule": "cr_steward", "doc": input.id, "at": i} if {
	input.kind == "change_request"
	some i, c in input.changes
	category := data.categories[c.data]
	not approved_by(category.steward)
}

# must cr_required: a required field is not removed or renamed away.
violations contains {"rule": "cr_required", "doc": input.id, "at": i} if {
	input.kind == "change_request"
	some i, c in input.changes
	c.kind in {"remove_field", "rename_field"}
	category := data.categories[c.data]
	c.field in category.required_fields
}
