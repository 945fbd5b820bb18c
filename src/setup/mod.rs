//! `setup`'s planners: from what AWS holds and what the admin asked for, the steps still
//! needed. Pure: the command reads AWS, these decide, `plan::apply` sends.

pub mod logging;
pub mod model_access;
pub mod quotas;
