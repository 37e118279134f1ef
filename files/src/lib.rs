//! Documents' bytes, apart from the rows that refer to them: the content-addressed store
//! (`store`) and reading an upload into it as it arrives (`upload`). Both front doors file
//! documents through these.

pub mod store;
pub mod upload;
