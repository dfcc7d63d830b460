"""Back-office CSV import: column specs, vectorised validation and set-based writes."""
