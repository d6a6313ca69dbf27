//! Hash banks: the formats they are imported from, and banks kept in files for the command
//! line.

pub mod file_bank;
pub mod formats;

pub use file_bank::{BankError, FileBank};
pub use formats::{HashList, ListEntry, ListError, ListFormat, parse_hash_list};
