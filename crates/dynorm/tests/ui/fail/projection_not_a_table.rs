use dynorm::Projection;

struct NotATable {
    id: String,
}

#[derive(Projection)]
#[dynorm(table = NotATable)]
struct Id {
    id: String,
}

#[derive(Projection)]
struct NoTable {
    id: String,
}

fn main() {}
