"""The report builders of issue 8 (funding, outcome): each describes a ``reporting.render.Report`` from the rollups."""
