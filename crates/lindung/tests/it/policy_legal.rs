//! The legal-framework self-assessment: answered, versioned, compared, reported.
