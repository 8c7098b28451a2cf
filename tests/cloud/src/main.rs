//! `sahara-testcloud up|down --state-dir DIR`: the local test cloud.

fn main() -> anyhow::Result<()> {
    anyhow::bail!("sahara-testcloud: not built yet")
}
