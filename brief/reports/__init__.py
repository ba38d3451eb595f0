"""Reports: the campaign report as a deliverable, execution/fortnightly/monthly reports, QC
sampling and dashboards. Reads every app below it and writes only documents (README "Reports")."""
