//! The Sahara conductor: the only component holding database credentials. It serves
//! Sahara's conductor API in-process (`[conductor] use_local = true`) or over RPC on topic
//! `sahara-conductor`, and hosts `sahara-db-manage`.
