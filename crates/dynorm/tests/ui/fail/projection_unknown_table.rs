use dynorm::Projection;

#[derive(Projection)]
#[dynorm(table = Usr)]
struct UserEmail {
    email: String,
}

fn main() {}
