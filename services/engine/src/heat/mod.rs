//! The Heat infrastructure engine (sahara/service/heat): the stack Sahara builds for a
//! cluster ([`template`]), and creating, updating and deleting it.

pub mod infra;
pub mod template;
