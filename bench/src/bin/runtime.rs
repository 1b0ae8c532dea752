//! `cargo xtask bench runtime`: the executor's raw rates. Placeholder being filled by the bench work.
fn main() {
    println!("bench runtime tasks_per_s=0 timers_per_s=0 wakes_per_s=0");
}
