//! Snapshot tests of what the macros generate, pretty-printed and compared with the files in
//! `src/snapshots` (insta). A change to the generated code shows up as a diff to review; accept it
//! with `cargo insta review` or `INSTA_UPDATE=always cargo test -p dynorm-derive`. With `CI=true`
//! a mismatch fails and nothing is written.

use proc_macro2::TokenStream;
use quote::quote;

/// The generated tokens as formatted Rust source.
fn pretty(tokens: syn::Result<TokenStream>) -> String {
    let tokens = tokens.unwrap_or_else(|e| panic!("expansion failed: {e}"));
    let file: syn::File =
        syn::parse2(tokens).unwrap_or_else(|e| panic!("generated code does not parse: {e}"));
    prettyplease::unparse(&file)
}

fn table(input: TokenStream) -> String {
    pretty(crate::expand::derive_table(
        &syn::parse2(input).expect("a struct"),
    ))
}

#[test]
fn table_with_indexes() {
    let expanded = table(quote! {
        /// Seed data.
        #[dynorm(table = "seeds", rename_all = "PascalCase", stream = "new_and_old_images")]
        #[dynorm(gsi(name = "by_email", partition_key = email, sort_key = created, projection = "keys_only"))]
        #[dynorm(gsi(name = "by_team", partition_key = team, projection(include(email)), read = 2, write = 3))]
        #[dynorm(lsi(name = "by_created", sort_key = created))]
        #[dynorm(billing(provisioned(read = 5, write = 5)), ttl = expires, deletion_protection)]
        #[dynorm(tag(key = "team", value = "core"))]
        pub struct Seed {
            /// The tenant.
            #[dynorm(partition_key)]
            tenant: String,
            #[dynorm(sort_key)]
            id: u64,
            #[dynorm(rename = "mail")]
            email: String,
            team: Option<String>,
            created: i64,
            #[dynorm(epoch_seconds)]
            expires: Option<chrono::DateTime<chrono::Utc>>,
            #[dynorm(default = 7)]
            level: u8,
            #[dynorm(string_set)]
            labels: std::collections::BTreeSet<String>,
            #[dynorm(skip)]
            cache: Vec<u8>,
        }
    });
    insta::assert_snapshot!(expanded);
}

#[test]
fn table_with_a_multi_attribute_index_and_strict_reads() {
    let expanded = table(quote! {
        #[dynorm(table = "matches", strict = "warn")]
        #[dynorm(gsi(name = "by-region", partition_key(tournament, region), sort_key(round, match_no)))]
        pub struct Match {
            #[dynorm(partition_key)]
            id: String,
            tournament: String,
            region: Option<String>,
            round: u32,
            match_no: u32,
        }
    });
    insta::assert_snapshot!(expanded);
}

#[test]
fn table_with_hooks() {
    let expanded = table(quote! {
        #[dynorm(table = "documents")]
        pub(crate) struct Document {
            #[dynorm(partition_key)]
            id: String,
            #[dynorm(version)]
            version: u64,
            #[dynorm(created_at)]
            created_at: Option<DateTime<Utc>>,
            #[dynorm(updated_at, epoch_seconds)]
            updated_at: DateTime<Utc>,
            #[dynorm(immutable)]
            owner: String,
            #[dynorm(mutate = normalise)]
            title: String,
        }
    });
    insta::assert_snapshot!(expanded);
}

#[test]
fn table_da_vinci() {
    let expanded = table(quote! {
        #[dynorm(table = "order_items", compat = "da_vinci")]
        #[dynorm(composite(name = "composite_key", fields(order_id, user_id), partition_key))]
        struct OrderItem {
            order_id: String,
            user_id: String,
            #[dynorm(sort_key)]
            item_id: String,
            placed_at: DateTime<Utc>,
            shipped_at: Option<DateTime<Utc>>,
            note: Option<String>,
            #[dynorm(json_string)]
            extra: std::collections::BTreeMap<String, i64>,
        }
    });
    insta::assert_snapshot!(expanded);
}

#[test]
fn entity_with_index_join_and_sparse_key() {
    let input = syn::parse2(quote! {
        #[dynorm(table = App, entity = "Member", pk = "T#{tenant}", sk = "M#{id:06}")]
        #[dynorm(index(name = "gsi1", pk = "EMAIL#{email}", sk = "{tenant_team}"))]
        #[dynorm(index(name = "lsi1", sk = "TEAM#{team}"))]
        #[dynorm(join(attribute = "tenant_team", fields(tenant, team), separator = "|"))]
        pub struct Member {
            tenant: String,
            id: u32,
            #[dynorm(mutate = lower, rename = "Email", immutable)]
            email: String,
            /// Sparse: `lsi1` holds only members with a team.
            team: Option<String>,
            #[dynorm(version)]
            version: u64,
        }
    })
    .expect("a struct");
    let expanded = pretty(crate::entity::derive_entity(&input));
    insta::assert_snapshot!(expanded);
}

#[test]
fn projection() {
    let input = syn::parse2(quote! {
        #[dynorm(table = User)]
        struct UserEmail {
            user_id: String,
            #[dynorm(field = "email")]
            address: Option<String>,
        }
    })
    .expect("a struct");
    let expanded = pretty(crate::projection::derive_projection(&input));
    insta::assert_snapshot!(expanded);
}

#[test]
fn dynorm_test_attribute() {
    let args = quote!(tables(User, crate::orders::Order));
    let item = quote! {
        async fn creates_a_user(db: dynorm::Client) -> dynorm::Result<()> {
            db.put(&User::default()).send().await
        }
    };
    let expanded = pretty(crate::test_attr::expand(args, item));
    insta::assert_snapshot!(expanded);
}

#[test]
fn dynorm_test_attribute_with_a_required_capability() {
    let args = quote!(tables(User), requires(embedded));
    let item = quote! {
        async fn reads_the_database(db: dynorm::Client) {
            assert!(db.database().is_some());
        }
    };
    let expanded = pretty(crate::test_attr::expand(args, item));
    insta::assert_snapshot!(expanded);
}

#[test]
fn table_with_schema_versions() {
    let expanded = table(quote! {
        #[dynorm(table = "people", schema_version = 3, upgrades(PersonV1, v2::PersonV2))]
        struct Person {
            #[dynorm(partition_key)]
            id: String,
            first: String,
        }
    });
    insta::assert_snapshot!(expanded);
}

#[test]
fn entity_with_schema_versions() {
    let input = syn::parse2(quote! {
        #[dynorm(table = App, entity = "User", pk = "T#{tenant}", sk = "U#{id}")]
        #[dynorm(schema_version = 2, upgrades(UserV1))]
        struct User {
            tenant: String,
            id: String,
            first: String,
        }
    })
    .expect("a struct");
    let expanded = pretty(crate::entity::derive_entity(&input));
    insta::assert_snapshot!(expanded);
}
