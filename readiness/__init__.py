"""launch-readiness: launch checklist, recovery drills and chaos experiments for an AWS stack."""
