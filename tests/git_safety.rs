//! git safety: the user's clone is never touched.
