//! The Regional Plan of Action indicators, signed snapshots and the regional dashboard.
