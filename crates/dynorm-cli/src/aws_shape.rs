//! What `dynorm serve` changes between a client and dynoxide so that streams look the way AWS
//! shapes them, which standard clients validate:
//!
//! - **Shard ids**: dynoxide names its one shard per table `shardId-00000001-<table>`, 20
//!   characters for a table named `Str`, but the API requires 28 to 65 (boto3 refuses shorter
//!   ones before sending). Clients see `shardId-<20 digits>-<8 hex digits>`, the shape of
//!   DynamoDB's own (`shardId-00000001414576573621-f55eea83`), derived from the stream ARN's
//!   table and label, so the same stream always has the same id (a stored checkpoint stays
//!   valid across restarts of a file-backed server) and a recreated table gets a new one.
//! - **Region**: ARNs name the served region instead of `dynoxide`, and so do the records'
//!   `awsRegion`.
//! - **Open shards**: dynoxide reports the last sequence number written as the shard's
//!   `EndingSequenceNumber`, which AWS sets only on closed shards; its shards never close, so
//!   the field is dropped.
//!
//! Only protocol fields are rewritten: attribute values are JSON objects (`{"S": ...}`), so a
//! string under one of the names below is never item data.

use serde_json::Value;

/// The region dynoxide writes into ARNs and records.
const DYNOXIDE_REGION: &str = "dynoxide";

/// Operations whose responses carry ARNs, shard ids or regions.
pub(crate) fn rewrites_response(operation: &str) -> bool {
    matches!(
        operation,
        "DescribeTable"
            | "CreateTable"
            | "UpdateTable"
            | "DeleteTable"
            | "ListStreams"
            | "DescribeStream"
            | "GetRecords"
            | "RestoreTableFromBackup"
    )
}

/// Operations whose requests name a shard.
pub(crate) fn rewrites_request(operation: &str) -> bool {
    matches!(operation, "DescribeStream" | "GetShardIterator" | "ListStreams")
}

/// The shard id clients see for dynoxide's shard of the stream `arn`.
pub(crate) fn public_shard_id(arn: &str) -> String {
    let (table, label) = table_and_label(arn);
    let name = format!("{table}/{label}");
    let digits = fnv1a(name.as_bytes());
    let suffix = fnv1a(format!("shard:{name}").as_bytes()) >> 32;
    // A u64 has at most 20 decimal digits and the suffix 8 hex digits, as DynamoDB's ids do.
    format!("shardId-{digits:020}-{suffix:08x}")
}

/// dynoxide's own shard id for the stream `arn`.
fn internal_shard_id(arn: &str) -> String {
    format!("shardId-00000001-{}", table_and_label(arn).0)
}

fn table_and_label(arn: &str) -> (&str, &str) {
    let rest = arn.split_once(":table/").map_or(arn, |(_, r)| r);
    let mut parts = rest.split('/');
    let table = parts.next().unwrap_or_default();
    let label = match (parts.next(), parts.next()) {
        (Some("stream"), Some(label)) => label,
        _ => "",
    };
    (table, label)
}

/// 64-bit FNV-1a: stable across builds and platforms (std's hasher is not).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A request refused before it reaches dynoxide: DynamoDB's error type and message.
#[derive(Debug, PartialEq)]
pub(crate) struct Refusal {
    pub(crate) error_type: &'static str,
    pub(crate) message: String,
}

/// The request body dynoxide should get: public shard ids replaced by its own. A body that is
/// not a JSON object is passed on unchanged, for dynoxide to refuse in its own words.
pub(crate) fn rewrite_request(operation: &str, body: &[u8]) -> Result<Vec<u8>, Refusal> {
    let Ok(Value::Object(mut request)) = serde_json::from_slice::<Value>(body) else {
        return Ok(body.to_vec());
    };
    // dynoxide pages ListStreams by comparing its own ARNs: give the cursor back its region.
    if let Some(Value::String(start)) = request.get_mut("ExclusiveStartStreamArn") {
        internal_arn(start);
    }
    let arn = request
        .get("StreamArn")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let field = match operation {
        "GetShardIterator" => "ShardId",
        _ => "ExclusiveStartShardId",
    };
    if let Some(Value::String(shard)) = request.get_mut(field) {
        if *shard != public_shard_id(&arn) {
            return Err(Refusal {
                error_type: "ResourceNotFoundException",
                message: format!("Requested resource not found: Shard does not exist: {shard}"),
            });
        }
        *shard = internal_shard_id(&arn);
    }
    Ok(serde_json::to_vec(&request).unwrap_or_else(|_| body.to_vec()))
}

/// The response body the client should get; `None` when nothing changes.
pub(crate) fn rewrite_response(body: &[u8], region: &str) -> Option<Vec<u8>> {
    let mut response: Value = serde_json::from_slice(body).ok()?;
    let mut changed = false;
    rewrite_value(&mut response, region, &mut changed);
    changed.then(|| serde_json::to_vec(&response).ok()).flatten()
}

fn rewrite_value(value: &mut Value, region: &str, changed: &mut bool) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(arn)) = map.get("StreamArn").cloned()
                && let Some(Value::Array(shards)) = map.get_mut("Shards")
            {
                for shard in shards.iter_mut().filter_map(Value::as_object_mut) {
                    rename_shard(shard, &arn);
                    *changed = true;
                }
                map.remove("LastEvaluatedShardId");
            }
            for (key, field) in map.iter_mut() {
                match field {
                    Value::String(text) if is_arn_field(key) => *changed |= rewrite_arn(text, region),
                    Value::String(text) if key == "awsRegion" && text == DYNOXIDE_REGION => {
                        *text = region.to_owned();
                        *changed = true;
                    }
                    // Records' images are items: nothing in them is rewritten.
                    _ if key == "dynamodb" || key == "Item" || key == "Items" => {}
                    other => rewrite_value(other, region, changed),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite_value(v, region, changed)),
        _ => {}
    }
}

/// A shard of stream `arn`, as clients see it: its public id, and open (dynoxide's never close).
fn rename_shard(shard: &mut serde_json::Map<String, Value>, arn: &str) {
    shard.insert("ShardId".to_owned(), Value::String(public_shard_id(arn)));
    if let Some(Value::Object(range)) = shard.get_mut("SequenceNumberRange") {
        range.remove("EndingSequenceNumber");
    }
}

/// A public ARN (any region) as dynoxide writes it.
fn internal_arn(arn: &mut String) {
    if let Some(rest) = arn.strip_prefix("arn:aws:dynamodb:")
        && let Some((_, account_and_rest)) = rest.split_once(':')
    {
        *arn = format!("arn:aws:dynamodb:{DYNOXIDE_REGION}:{account_and_rest}");
    }
}

fn is_arn_field(key: &str) -> bool {
    matches!(
        key,
        "TableArn"
            | "LatestStreamArn"
            | "StreamArn"
            | "LastEvaluatedStreamArn"
            | "IndexArn"
            | "eventSourceARN"
            | "SourceTableArn"
    )
}

fn rewrite_arn(arn: &mut String, region: &str) -> bool {
    const PREFIX: &str = "arn:aws:dynamodb:dynoxide:";
    match arn.strip_prefix(PREFIX) {
        Some(rest) => {
            *arn = format!("arn:aws:dynamodb:{region}:{rest}");
            true
        }
        None => false,
    }
}

/// DynamoDB's error body for a refused request.
pub(crate) fn error_body(refusal: &Refusal) -> Vec<u8> {
    serde_json::json!({
        "__type": format!("com.amazonaws.dynamodb.v20120810#{}", refusal.error_type),
        "message": refusal.message,
    })
    .to_string()
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:dynamodb:dynoxide:000000000000:table/Str/stream/1764806400.000000000";

    #[test]
    fn shard_ids_have_aws_shape_and_length_and_are_stable() {
        let id = public_shard_id(ARN);
        assert_eq!(id.len(), "shardId-00000001414576573621-f55eea83".len(), "{id}");
        let (digits, hex) = id["shardId-".len()..].split_once('-').unwrap();
        assert!(
            digits.len() == 20 && digits.bytes().all(|b| b.is_ascii_digit()),
            "{id}"
        );
        assert!(
            hex.len() == 8 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
            "{id}"
        );
        assert_eq!(public_shard_id(ARN), id);
        assert_ne!(public_shard_id(&ARN.replace("1764806400", "1764806401")), id);
    }

    #[test]
    fn list_streams_pages_with_the_public_arn_it_handed_out() {
        let page = serde_json::json!({"Streams": [{"StreamArn": ARN}], "LastEvaluatedStreamArn": ARN});
        let shown: Value =
            serde_json::from_slice(&rewrite_response(page.to_string().as_bytes(), "eu-west-1").unwrap())
                .unwrap();
        let cursor = shown["LastEvaluatedStreamArn"].as_str().unwrap();
        assert_eq!(cursor, shown["Streams"][0]["StreamArn"], "{shown}");
        assert!(cursor.starts_with("arn:aws:dynamodb:eu-west-1:"), "{cursor}");
        let next = serde_json::json!({"ExclusiveStartStreamArn": cursor, "Limit": 1});
        let sent: Value =
            serde_json::from_slice(&rewrite_request("ListStreams", next.to_string().as_bytes()).unwrap())
                .unwrap();
        assert_eq!(
            sent["ExclusiveStartStreamArn"], ARN,
            "dynoxide gets its own ARN back"
        );
    }

    #[test]
    fn a_public_shard_id_is_mapped_back_and_an_unknown_one_refused() {
        let body = serde_json::json!({"StreamArn": ARN, "ShardId": public_shard_id(ARN), "ShardIteratorType": "TRIM_HORIZON"});
        let sent: Value = serde_json::from_slice(
            &rewrite_request("GetShardIterator", body.to_string().as_bytes()).unwrap(),
        )
        .unwrap();
        assert_eq!(sent["ShardId"], "shardId-00000001-Str");
        let wrong = serde_json::json!({"StreamArn": ARN, "ShardId": "shardId-00000001-Str"});
        let refusal = rewrite_request("GetShardIterator", wrong.to_string().as_bytes()).unwrap_err();
        assert_eq!(refusal.error_type, "ResourceNotFoundException");
        assert_eq!(
            rewrite_request("GetShardIterator", b"not json").unwrap(),
            b"not json"
        );
    }

    #[test]
    fn responses_name_the_region_and_public_shards_but_items_are_left_alone() {
        let describe = serde_json::json!({"StreamDescription": {
            "StreamArn": ARN, "Shards": [{"ShardId": "shardId-00000001-Str",
                "SequenceNumberRange": {"StartingSequenceNumber": "100000000000000000001", "EndingSequenceNumber": "100000000000000000009"}}]}});
        let out: Value =
            serde_json::from_slice(&rewrite_response(describe.to_string().as_bytes(), "eu-west-1").unwrap())
                .unwrap();
        let d = &out["StreamDescription"];
        assert!(
            d["StreamArn"]
                .as_str()
                .unwrap()
                .starts_with("arn:aws:dynamodb:eu-west-1:000000000000:table/Str/stream/")
        );
        assert_eq!(d["Shards"][0]["ShardId"], public_shard_id(ARN));
        assert!(
            d["Shards"][0]["SequenceNumberRange"]
                .get("EndingSequenceNumber")
                .is_none()
        );

        let records = serde_json::json!({"Records": [{"awsRegion": "dynoxide", "dynamodb": {
            "NewImage": {"StreamArn": {"S": "arn:aws:dynamodb:dynoxide:x"}, "awsRegion": {"S": "dynoxide"}}}}]});
        let out: Value =
            serde_json::from_slice(&rewrite_response(records.to_string().as_bytes(), "eu-west-1").unwrap())
                .unwrap();
        assert_eq!(out["Records"][0]["awsRegion"], "eu-west-1");
        assert_eq!(out["Records"][0]["dynamodb"], records["Records"][0]["dynamodb"]);
        assert_eq!(rewrite_response(br#"{"Count": 1}"#, "eu-west-1"), None);
    }
}
