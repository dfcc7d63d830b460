"""Learned churn risk (issue 19): features as of a cut-off, a scikit-learn model backtested against the warning
rules, nightly scores with their top reasons. Pages and other apps read it through selectors only."""
