fn main() {
    eprintln!("taos-testserver: not yet implemented");
    std::process::exit(2);
}
