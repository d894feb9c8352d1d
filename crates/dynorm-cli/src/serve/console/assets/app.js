// dynorm console: plain JavaScript, no build step, no network beyond this server.
"use strict";
const CSRF = document.querySelector('meta[name="dynorm-csrf"]').content;
const $ = (sel, root = document) => root.querySelector(sel);
const main = $("#main");
let MODEL = { entities: [], tables: [], mermaid: "" };

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, "");
    else if (v !== false && v != null) el.setAttribute(k, v);
  }
  for (const c of children.flat()) el.append(c instanceof Node ? c : document.createTextNode(c ?? ""));
  return el;
}

function showError(e) {
  const box = $("#error");
  if (!e) { box.hidden = true; box.textContent = ""; return; }
  box.hidden = false;
  box.textContent = `${e.type || "Error"}: ${e.message || e}`;
}

async function api(path, body, raw = false) {
  const init = body === undefined ? {} : {
    method: "POST", body: JSON.stringify(body),
    headers: { "content-type": "application/json", "x-dynorm-csrf": CSRF },
  };
  const res = await fetch("/console/api/" + path, init);
  const text = await res.text();
  if (!res.ok) {
    let err; try { err = JSON.parse(text).error; } catch (_) { err = { type: "HTTP " + res.status, message: text }; }
    showError(err); throw err;
  }
  showError(null);
  if (raw) return text;
  try { return JSON.parse(text); } catch (_) { return text; }
}
const call = (operation, request) => api("call", { operation, request });

// ---- DynamoDB JSON <-> plain JSON (display only; the server reads what is saved) ----
function plain(v) {
  if (v.S !== undefined) return v.S;
  if (v.N !== undefined) return Number(v.N);
  if (v.BOOL !== undefined) return v.BOOL;
  if (v.NULL !== undefined) return null;
  if (v.L) return v.L.map(plain);
  if (v.M) return Object.fromEntries(Object.entries(v.M).map(([k, x]) => [k, plain(x)]));
  if (v.SS) return v.SS; if (v.NS) return v.NS.map(Number); if (v.B) return v.B; if (v.BS) return v.BS;
  return v;
}
const plainItem = (item) => Object.fromEntries(Object.entries(item).map(([k, v]) => [k, plain(v)]));
function typed(x) {
  if (x === null) return { NULL: true };
  if (typeof x === "boolean") return { BOOL: x };
  if (typeof x === "number") return { N: String(x) };
  if (Array.isArray(x)) return { L: x.map(typed) };
  if (typeof x === "object") return { M: Object.fromEntries(Object.entries(x).map(([k, v]) => [k, typed(v)])) };
  if (/^-?\d+(\.\d+)?$/.test(x)) return { N: x };
  return { S: String(x) };
}
function short(v) { const s = JSON.stringify(plain(v)); return s.length > 80 ? s.slice(0, 77) + "…" : s; }

// ---- tables ----
async function tablesView() {
  main.replaceChildren(h("p", { class: "muted" }, "Loading tables…"));
  const [{ tables }, model] = await Promise.all([api("tables"), api("model")]);
  MODEL = model;
  const rows = tables.map((t) => {
    const keys = (t.KeySchema || []).map((k) => `${k.AttributeName} (${k.KeyType === "HASH" ? "partition" : "sort"})`).join(", ");
    const idx = [...(t.GlobalSecondaryIndexes || []).map((i) => ["GSI", i]), ...(t.LocalSecondaryIndexes || []).map((i) => ["LSI", i])]
      .map(([kind, i]) => `${kind} ${i.IndexName}: ${i.KeySchema.map((k) => k.AttributeName).join("/")} [${i.Projection.ProjectionType}${i.Projection.NonKeyAttributes ? " " + i.Projection.NonKeyAttributes.join(",") : ""}]`);
    const stream = t.StreamSpecification && t.StreamSpecification.StreamEnabled ? t.StreamSpecification.StreamViewType : "off";
    const ttl = t.TimeToLiveDescription && t.TimeToLiveDescription.AttributeName ? `${t.TimeToLiveDescription.AttributeName} (${t.TimeToLiveDescription.TimeToLiveStatus})` : "off";
    return h("tr", { "data-table": t.TableName },
      h("td", {}, h("a", { href: "#table/" + encodeURIComponent(t.TableName), class: "table-link" }, t.TableName)),
      h("td", {}, String(t.ItemCount ?? 0)), h("td", { class: "hide-narrow" }, `${t.TableSizeBytes ?? 0} B`),
      h("td", {}, keys), h("td", {}, idx.map((i) => h("div", {}, i))), h("td", {}, stream), h("td", {}, ttl),
      h("td", {}, h("button", { class: "danger", onclick: () => purgeTable(t.TableName) }, "Purge"), " ",
        h("button", { class: "danger", onclick: () => deleteTable(t.TableName) }, "Delete")));
  });
  main.replaceChildren(
    h("h2", {}, "Tables"),
    h("div", { class: "scroll" }, h("table", { id: "tables" },
      h("thead", {}, h("tr", {}, ["Table", "Items", "Size", "Key schema", "Indexes (projection)", "Stream", "TTL", ""].map((c) => h("th", c === "Size" ? { class: "hide-narrow" } : {}, c)))),
      h("tbody", {}, rows))),
    createTableForm());
}

function createTableForm() {
  const area = h("textarea", { id: "create-json", "aria-label": "CreateTable request" },
    JSON.stringify({ TableName: "new_table", KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }], BillingMode: "PAY_PER_REQUEST" }, null, 2));
  const fromSchema = h("select", { id: "create-from-schema", "aria-label": "Table from the schema" },
    h("option", { value: "" }, "— by hand —"), MODEL.tables.map((t) => h("option", { value: t.name }, t.name)));
  return h("details", {}, h("summary", {}, "Create a table"),
    h("div", { class: "row" }, h("label", {}, "From the schema: ", fromSchema), h("span", { class: "muted" }, "(or write the CreateTable request below)")),
    area, h("button", { class: "primary", id: "create-table", onclick: async () => {
      if (fromSchema.value) await api("create-from-schema", { table: fromSchema.value });
      else await call("CreateTable", JSON.parse(area.value));
      tablesView();
    } }, "Create"));
}

async function purgeTable(name) {
  if (!confirm(`Delete every item of ${name}?`)) return;
  const snapshot = await snapshotBefore(`purge ${name}`);
  const r = await api("purge", { table: name });
  await tablesView(); undoNotice(snapshot, `${r.deleted} item(s) of ${name} deleted`);
}
async function deleteTable(name) {
  if (!confirm(`Delete table ${name}?`)) return;
  const snapshot = await snapshotBefore(`delete table ${name}`);
  await call("DeleteTable", { TableName: name });
  await tablesView(); undoNotice(snapshot, `table ${name} deleted`);
}

// ---- browse: scan / query ----
const KEY_OPS = ["=", "<", "<=", ">", ">=", "BETWEEN", "begins_with"];
const FILTER_OPS = ["=", "<>", "<", "<=", ">", ">=", "BETWEEN", "IN", "begins_with", "contains", "attribute_exists", "attribute_not_exists", "attribute_type", "size ="];
let BROWSE = null;

async function tableView(name) {
  const { Table: t } = await call("DescribeTable", { TableName: name });
  if (!MODEL.entities.length && !MODEL.mermaid) MODEL = await api("model");
  BROWSE = { table: t, pages: [], cursor: null, request: null, selected: new Set() };
  const targets = [["", "table"], ...(t.GlobalSecondaryIndexes || []).map((i) => [i.IndexName, "GSI " + i.IndexName]), ...(t.LocalSecondaryIndexes || []).map((i) => [i.IndexName, "LSI " + i.IndexName])];
  const entities = MODEL.entities.filter((e) => e.definition.table === name);
  main.replaceChildren(
    h("h2", {}, h("a", { href: "#" }, "Tables"), " / ", name),
    h("form", { id: "browse", onsubmit: (ev) => { ev.preventDefault(); runBrowse(true); } },
      h("div", { class: "row" },
        h("label", {}, "Read ", h("select", { id: "mode" }, h("option", { value: "Scan" }, "Scan"), h("option", { value: "Query" }, "Query"))),
        h("label", {}, " on ", h("select", { id: "target", onchange: keyLabels }, targets.map(([v, l]) => h("option", { value: v }, l)))),
        entities.length ? h("label", {}, " entity ", h("select", { id: "entity-filter" }, h("option", { value: "" }, "any"), entities.map((e) => h("option", { value: e.definition.name }, e.definition.name)))) : ""),
      h("fieldset", { id: "key-condition" }, h("legend", {}, "Key condition (Query)"),
        h("div", { class: "row" }, h("span", { id: "pk-name" }), " = ", h("input", { id: "pk-value", "aria-label": "partition key value" })),
        h("div", { class: "row" }, h("span", { id: "sk-name" }), h("select", { id: "sk-op", "aria-label": "sort key operator" }, h("option", { value: "" }, "(none)"), KEY_OPS.map((o) => h("option", { value: o }, o))),
          h("input", { id: "sk-value", "aria-label": "sort key value" }), h("input", { id: "sk-value2", "aria-label": "sort key upper bound", placeholder: "and (BETWEEN)" }))),
      h("fieldset", {}, h("legend", {}, "Filters"), h("div", { id: "filters" }), h("button", { type: "button", id: "add-filter", onclick: () => addFilter() }, "+ filter")),
      h("div", { class: "row" },
        h("label", {}, "Projection ", h("input", { id: "projection", placeholder: "a, b, c" })),
        h("label", {}, "Page size ", h("input", { id: "limit", type: "number", value: "25", min: "1", style: "width:5rem" })),
        h("label", {}, h("input", { id: "descending", type: "checkbox" }), " descending"),
        h("label", {}, h("input", { id: "consistent", type: "checkbox" }), " consistent read")),
      h("div", { class: "row" },
        h("button", { class: "primary", id: "run", type: "submit" }, "Run"),
        h("button", { type: "button", id: "next-page", disabled: true, onclick: () => runBrowse(false) }, "Next page →"),
        h("button", { type: "button", id: "new-item", onclick: () => editItem(null) }, "New item"),
        h("button", { type: "button", class: "danger", id: "delete-selected", onclick: deleteSelected }, "Delete selected"),
        h("button", { type: "button", class: "danger", id: "delete-matching", onclick: deleteMatching }, "Delete all matching"),
        h("select", { id: "export-format", "aria-label": "export format" }, ["jsonl", "dynamodb-jsonl", "csv"].map((f) => h("option", { value: f }, f))),
        h("button", { type: "button", id: "export", onclick: exportResult }, "Export"),
        h("button", { type: "button", id: "tail", onclick: () => tailStream(name) }, "Tail stream"))),
    h("p", { id: "capacity", class: "muted" }),
    h("div", { id: "results", class: "scroll" }),
    h("div", { id: "editor" }),
    h("details", {}, h("summary", {}, "Import"), importForm(name)),
    h("div", { id: "export-out" }),
    h("div", { id: "stream" }));
  keyLabels();
  if (entities.length) main.insertBefore(patternsPanel(entities), $("#capacity"));
}

function keySchemaOf(target) {
  const t = BROWSE.table;
  if (!target) return t.KeySchema;
  const idx = [...(t.GlobalSecondaryIndexes || []), ...(t.LocalSecondaryIndexes || [])].find((i) => i.IndexName === target);
  return idx ? idx.KeySchema : t.KeySchema;
}
function keyLabels() {
  const ks = keySchemaOf($("#target").value);
  $("#pk-name").textContent = ks[0].AttributeName;
  const sk = ks.find((k) => k.KeyType === "RANGE");
  $("#sk-name").textContent = sk ? sk.AttributeName : "(no sort key)";
}

function addFilter() {
  const row = h("div", { class: "row filter" },
    h("input", { class: "f-attr", placeholder: "attribute", "aria-label": "filter attribute" }),
    h("select", { class: "f-op", "aria-label": "filter operator" }, FILTER_OPS.map((o) => h("option", { value: o }, o))),
    h("input", { class: "f-value", placeholder: "value (IN: a, b; type: S, N…)", "aria-label": "filter value" }),
    h("input", { class: "f-value2", placeholder: "and (BETWEEN)", "aria-label": "filter upper bound" }),
    h("button", { type: "button", onclick: () => row.remove() }, "×"));
  $("#filters").append(row);
  return row;
}

// Builds the Scan or Query request: placeholders for every name and value, never spliced text.
function buildRequest() {
  const mode = $("#mode").value, target = $("#target").value;
  const names = {}, values = {};
  let n = 0;
  const name = (a) => { const k = "#n" + n++; names[k] = a; return k; };
  const value = (v) => { const k = ":v" + n++; values[k] = typed(v); return k; };
  const req = { TableName: BROWSE.table.TableName, Limit: Number($("#limit").value) || 25, ReturnConsumedCapacity: "TOTAL" };
  if (target) req.IndexName = target;
  if (mode === "Query") {
    const ks = keySchemaOf(target);
    const parts = [`${name(ks[0].AttributeName)} = ${value($("#pk-value").value)}`];
    const op = $("#sk-op").value, sk = ks.find((k) => k.KeyType === "RANGE");
    if (op && sk) {
      const a = name(sk.AttributeName), v = $("#sk-value").value;
      if (op === "BETWEEN") parts.push(`${a} BETWEEN ${value(v)} AND ${value($("#sk-value2").value)}`);
      else if (op === "begins_with") parts.push(`begins_with(${a}, ${value(v)})`);
      else parts.push(`${a} ${op} ${value(v)}`);
    }
    req.KeyConditionExpression = parts.join(" AND ");
    if ($("#descending").checked) req.ScanIndexForward = false;
  }
  const filters = [...document.querySelectorAll("#filters .filter")].map((row) => filterText(row, name, value)).filter(Boolean);
  const entity = $("#entity-filter") && $("#entity-filter").value;
  if (entity) {
    const def = MODEL.entities.find((e) => e.definition.name === entity).definition;
    if (def.entity_attribute) filters.push(`${name(def.entity_attribute)} = ${value(entity)}`);
  }
  if (filters.length) req.FilterExpression = filters.join(" AND ");
  const proj = $("#projection").value.split(",").map((s) => s.trim()).filter(Boolean);
  if (proj.length) req.ProjectionExpression = proj.map(name).join(", ");
  if ($("#consistent").checked) req.ConsistentRead = true;
  if (Object.keys(names).length) req.ExpressionAttributeNames = names;
  if (Object.keys(values).length) req.ExpressionAttributeValues = values;
  return { operation: mode, request: req };
}

function filterText(row, name, value) {
  const attr = $(".f-attr", row).value.trim(); if (!attr) return null;
  const op = $(".f-op", row).value, v = $(".f-value", row).value, v2 = $(".f-value2", row).value;
  const a = name(attr);
  switch (op) {
    case "BETWEEN": return `${a} BETWEEN ${value(v)} AND ${value(v2)}`;
    case "IN": return `${a} IN (${v.split(",").map((x) => value(x.trim())).join(", ")})`;
    case "begins_with": case "contains": return `${op}(${a}, ${value(v)})`;
    case "attribute_exists": case "attribute_not_exists": return `${op}(${a})`;
    case "attribute_type": return `attribute_type(${a}, ${value(v.trim())})`;
    case "size =": return `size(${a}) = ${value(Number(v))}`;
    default: return `${a} ${op} ${value(v)}`;
  }
}

async function runBrowse(fresh) {
  if (fresh) { BROWSE.base = buildRequest(); BROWSE.cursor = null; BROWSE.page = 0; }
  const { operation, request } = BROWSE.base;
  const req = { ...request }; if (BROWSE.cursor) req.ExclusiveStartKey = BROWSE.cursor;
  const out = await api("call", { operation, request: req });
  BROWSE.page += 1;
  BROWSE.cursor = out.LastEvaluatedKey || null;
  BROWSE.items = out.Items || []; BROWSE.labels = out.Labels || []; BROWSE.selected = new Set();
  $("#next-page").disabled = !BROWSE.cursor;
  const cap = out.ConsumedCapacity ? `${out.ConsumedCapacity.CapacityUnits} capacity unit(s)` : "capacity not reported";
  $("#capacity").textContent = `Page ${BROWSE.page}: ${out.Count} item(s), scanned ${out.ScannedCount}; ${cap}` + (BROWSE.cursor ? `; cursor ${JSON.stringify(plainItem(BROWSE.cursor))}` : "; last page");
  renderItems();
}

function renderItems() {
  const items = BROWSE.items;
  const cols = [...new Set(items.flatMap((i) => Object.keys(i)))].sort();
  const rows = items.map((item, i) => {
    const label = BROWSE.labels[i];
    return h("tr", { class: "item" },
      h("td", {}, h("input", { type: "checkbox", class: "select", "aria-label": "select item " + (i + 1), onchange: (ev) => ev.target.checked ? BROWSE.selected.add(i) : BROWSE.selected.delete(i) })),
      h("td", {}, label ? h("span", { class: "tag entity" }, label.entity) : ""),
      cols.map((c) => h("td", {}, item[c] ? h("code", {}, short(item[c])) : "",
        label && label.keys[c] ? h("div", { class: "parts" }, Object.entries(label.keys[c]).map(([k, v]) => `${k}=${v}`).join(" · ")) : "")),
      h("td", {}, h("button", { class: "edit", onclick: () => editItem(item) }, "Edit"), " ",
        h("button", { class: "duplicate", onclick: () => editItem(item, true) }, "Duplicate")));
  });
  $("#results").replaceChildren(h("table", { id: "items" },
    h("thead", {}, h("tr", {}, h("th", {}, ""), h("th", {}, "entity"), cols.map((c) => h("th", {}, c)), h("th", {}, ""))),
    h("tbody", {}, rows)));
}

function keyOf(item) {
  return Object.fromEntries(BROWSE.table.KeySchema.map((k) => [k.AttributeName, item[k.AttributeName]]));
}

// ---- typed editor: each attribute with its DynamoDB type; sets, lists and maps as trees ----
const TYPES = ["S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS", "L", "M"];
const EMPTY = { S: "", N: "0", B: "", BOOL: false, NULL: true, SS: [""], NS: ["0"], BS: [""], L: [], M: {} };
// One value's editor: a type selector and the value (children for sets, lists and maps). Reading
// it back gives DynamoDB JSON; `named` adds the attribute or map key's name.
function nodeEditor(value, name) {
  const node = h("div", { class: "node row" });
  let type = Object.keys(value)[0] || "S";
  const nameInput = name === undefined ? null : h("input", { class: "node-name", value: name, placeholder: "name", "aria-label": "attribute name" });
  const select = h("select", { class: "node-type", "aria-label": "type" }, TYPES.map((t) => h("option", { value: t, selected: t === type }, t)));
  const body = h("span", { class: "node-body" });
  const render = (v) => { body.replaceChildren(valueEditor(type, v)); };
  select.addEventListener("change", () => { type = select.value; render(EMPTY[type]); });
  render(value[type]);
  node.read = () => [nameInput ? nameInput.value : null, { [type]: body.firstChild.read() }];
  node.append(...(nameInput ? [nameInput] : []), select, body, h("button", { type: "button", class: "node-remove", "aria-label": "remove", onclick: () => node.remove() }, "×"));
  return node;
}
function valueEditor(type, v) {
  if (type === "BOOL") {
    const sel = h("select", { class: "node-value", "aria-label": "value" }, h("option", { value: "true", selected: v === true }, "true"), h("option", { value: "false", selected: v !== true }, "false"));
    sel.read = () => sel.value === "true"; return sel;
  }
  if (type === "NULL") { const el = h("span", { class: "muted" }, "null"); el.read = () => true; return el; }
  if (["SS", "NS", "BS"].includes(type)) return listEditor(v, (x) => {
    const input = h("input", { class: "node-value element", value: x, "aria-label": "element" });
    const el = h("span", { class: "row" }, input, h("button", { type: "button", "aria-label": "remove element", onclick: () => el.remove() }, "×"));
    el.read = () => input.value; return el;
  }, EMPTY[type][0]);
  if (type === "L") return listEditor(v, (x) => nodeEditor(x), { S: "" });
  if (type === "M") return mapEditor(v);
  const input = h("input", { class: "node-value", value: v ?? "", "aria-label": "value", inputmode: type === "N" ? "decimal" : "text" });
  input.read = () => input.value; return input;
}
function listEditor(values, one, blank) {
  const list = h("div", { class: "tree" }, values.map(one));
  const add = h("button", { type: "button", class: "node-add", onclick: () => list.append(one(blank)) }, "+ element");
  const wrap = h("span", {}, list, add);
  wrap.read = () => [...list.children].map((c) => c.read ? c.read() : null).map((x) => Array.isArray(x) && x.length === 2 && x[0] === null ? x[1] : x);
  return wrap;
}
function mapEditor(map) {
  const tree = h("div", { class: "tree" }, Object.entries(map).map(([k, v]) => nodeEditor(v, k)));
  const add = h("button", { type: "button", class: "node-add", onclick: () => tree.append(nodeEditor({ S: "" }, "")) }, "+ attribute");
  const wrap = h("span", {}, tree, add);
  wrap.read = () => readNamed(tree);
  return wrap;
}
// The named nodes under `tree` as a DynamoDB JSON map; a name given twice or left empty is an error.
function readNamed(tree) {
  const out = {};
  for (const node of tree.children) {
    const [name, value] = node.read();
    if (!name) throw { type: "ValidationError", message: "an attribute has no name" };
    if (name in out) throw { type: "ValidationError", message: `attribute \`${name}\` is given twice` };
    out[name] = value;
  }
  return out;
}
function formEditor(item) {
  const tree = h("div", { id: "item-form", class: "tree" }, Object.entries(item).map(([k, v]) => nodeEditor(v, k)));
  const add = h("button", { type: "button", id: "add-attribute", onclick: () => tree.append(nodeEditor({ S: "" }, "")) }, "+ attribute");
  const wrap = h("div", {}, tree, add);
  wrap.read = () => readNamed(tree);
  return wrap;
}

// The attributes the schema versions items of `table` by (optimistic locking: a save expects the
// version the item carries and stores the next).
function versionAttributes(table) {
  const t = MODEL.tables.find((t) => t.name === table);
  return [t && t.version_attribute, ...MODEL.entities.filter((e) => e.definition.table === table).map((e) => e.definition.version)].filter(Boolean);
}
function withoutVersions(item, table) {
  const copy = { ...item };
  for (const a of versionAttributes(table)) delete copy[a];
  return copy;
}

function editItem(item, duplicate = false) {
  let format = "json";
  const area = h("textarea", { id: "item-json", "aria-label": "item" });
  const holder = h("div", {}, area);
  let form = null;
  const show = (value) => {
    if (format === "form") { form = formEditor(value); holder.replaceChildren(form); return; }
    area.value = JSON.stringify(format === "json" ? plainItem(value) : value, null, 2);
    holder.replaceChildren(area);
  };
  // A duplicate is a new item: it starts unversioned (the save stores version 1).
  let current = duplicate ? withoutVersions(item, BROWSE.table.TableName) : item || {};
  show(current);
  // The item as DynamoDB JSON, from whichever editor shows it.
  const read = () => {
    if (format === "form") return form.read();
    const v = JSON.parse(area.value);
    return format === "json" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, typed(x)])) : v;
  };
  const toggle = h("select", { id: "item-format", "aria-label": "item format", onchange: () => { current = read(); format = toggle.value; show(current); } },
    h("option", { value: "json" }, "JSON"), h("option", { value: "dynamodb-json" }, "DynamoDB JSON"), h("option", { value: "form" }, "Typed form"));
  const save = async () => {
    const body = format === "form" ? { format: "dynamodb-json", item: read() } : { format, item: JSON.parse(area.value) };
    await api("put", { table: BROWSE.table.TableName, ...body });
    if (item && !duplicate) {
      const saved = read(); const oldKey = keyOf(item), newKey = keyOf(saved);
      if (JSON.stringify(oldKey) !== JSON.stringify(newKey) && $("#move").checked) await call("DeleteItem", { TableName: BROWSE.table.TableName, Key: oldKey });
    }
    $("#editor").replaceChildren(h("p", { class: "muted", id: "saved" }, "Saved."));
    if (BROWSE.base) { BROWSE.cursor = null; BROWSE.page = 0; runBrowse(false); }
  };
  const del = async () => { await call("DeleteItem", { TableName: BROWSE.table.TableName, Key: keyOf(item) }); $("#editor").replaceChildren(); runBrowse(true); };
  $("#editor").replaceChildren(h("fieldset", {}, h("legend", {}, item ? (duplicate ? "Duplicate item" : "Edit item") : "New item"),
    h("div", { class: "row" }, toggle, item && !duplicate ? h("label", {}, h("input", { type: "checkbox", id: "move" }), " delete the old item if the key changes") : ""),
    holder,
    h("div", { class: "row" }, h("button", { class: "primary", id: "save", onclick: save }, "Save"),
      item && !duplicate ? h("button", { class: "danger", id: "delete-item", onclick: del }, "Delete") : "",
      h("button", { onclick: () => $("#editor").replaceChildren() }, "Cancel"))));
  area.focus();
}

async function deleteSelected() {
  const items = [...BROWSE.selected].map((i) => BROWSE.items[i]);
  if (!items.length || !confirm(`Delete ${items.length} item(s)?`)) return;
  const snapshot = await snapshotBefore(`delete ${items.length} items of ${BROWSE.table.TableName}`);
  for (const item of items) await call("DeleteItem", { TableName: BROWSE.table.TableName, Key: keyOf(item) });
  $("#capacity").textContent = `${items.length} item(s) deleted`;
  undoNotice(snapshot, `${items.length} item(s) deleted`);
  runBrowse(true);
}

async function deleteMatching() {
  const base = buildRequest();
  if (!confirm("Delete every item this read matches (all pages)?")) return;
  const snapshot = await snapshotBefore(`delete matching in ${BROWSE.table.TableName}`);
  const r = await api("delete-matching", base);
  $("#capacity").textContent = `${r.deleted} item(s) deleted`;
  undoNotice(snapshot, `${r.deleted} item(s) deleted`);
  runBrowse(true);
}

async function exportResult() {
  const base = BROWSE.base || buildRequest();
  const format = $("#export-format").value;
  const text = await api("export", { ...base, format }, true);
  const blob = new Blob([text], { type: format === "csv" ? "text/csv" : "application/x-ndjson" });
  const file = `${BROWSE.table.TableName}.${format === "csv" ? "csv" : "jsonl"}`;
  $("#export-out").replaceChildren(h("fieldset", {}, h("legend", {}, "Export"),
    h("a", { href: URL.createObjectURL(blob), download: file, id: "download" }, `Download ${file}`),
    h("pre", { id: "export-preview" }, text.length > 4000 ? text.slice(0, 4000) + "\n…" : text)));
}

// A file in parts of at most PART_RECORDS records or PART_BYTES characters, each with the number
// of records before it (so rejected lines are numbered from the file's start); CSV parts repeat
// the header row.
const PART_RECORDS = 500, PART_BYTES = 1 << 20;
function importParts(format, text) {
  let records, join = (rs) => rs.join("\n"), header = null;
  if (format === "json") {
    records = JSON.parse(text);
    if (!Array.isArray(records)) throw { type: "InvalidJson", message: "a JSON import is an array of objects" };
    records = records.map((r) => JSON.stringify(r)); join = (rs) => "[" + rs.join(",") + "]";
  } else if (format === "csv") {
    records = csvRecords(text); header = records.shift() ?? "";
    join = (rs) => [header, ...rs].join("\n");
  } else {
    records = text.split("\n");
  }
  const parts = [];
  for (let start = 0; start < records.length;) {
    let end = start, bytes = 0;
    while (end < records.length && end - start < PART_RECORDS && (end === start || bytes + records[end].length < PART_BYTES)) bytes += records[end++].length + 1;
    parts.push({ text: join(records.slice(start, end)), recordsBefore: start, count: end - start });
    start = end;
  }
  return parts;
}
// CSV rows (a quoted cell may hold line breaks: a row ends where its quotes balance).
function csvRecords(text) {
  const rows = []; let row = null, quotes = 0;
  for (const line of text.split("\n")) {
    row = row === null ? line : row + "\n" + line;
    quotes += (line.match(/"/g) || []).length;
    if (quotes % 2 === 0) { rows.push(row); row = null; quotes = 0; }
  }
  if (row !== null) rows.push(row);
  return rows;
}

function importForm(table) {
  const fmt = h("select", { id: "import-format", "aria-label": "import format" }, ["jsonl", "dynamodb-jsonl", "json", "csv"].map((f) => h("option", { value: f }, f)));
  const file = h("input", { type: "file", id: "import-file", "aria-label": "file to import" });
  const text = h("textarea", { id: "import-text", "aria-label": "items to import", placeholder: "or paste lines here" });
  const progress = h("progress", { id: "import-progress", value: 0, max: 1, hidden: true });
  const unguarded = h("input", { type: "checkbox", id: "import-unguarded" });
  const report = h("div", { class: "report", id: "import-report" });
  const run = async () => {
    const body = file.files[0] ? await file.files[0].text() : text.value;
    const parts = importParts(fmt.value, body);
    const total = parts.reduce((n, p) => n + p.count, 0);
    let imported = 0, done = 0; const rejected = [];
    progress.hidden = false; progress.max = Math.max(total, 1);
    for (const part of parts) {
      const r = await api("import", { table, format: fmt.value, text: part.text, records_before: part.recordsBefore, unguarded: unguarded.checked });
      imported += r.imported; rejected.push(...r.rejected); done += part.count;
      progress.value = done;
      report.replaceChildren(h("p", {}, `Read ${done} of ${total} record(s)…`));
    }
    report.replaceChildren(h("p", {}, `Imported ${imported} item(s); rejected ${rejected.length}.`),
      h("ul", {}, rejected.map((x) => h("li", { class: "rejected" }, `line ${x.line}: ${x.type}: ${x.message}`))));
  };
  const versioned = versionAttributes(table).length
    ? h("label", { title: "Without it, each item expects the version it carries and stores the next" }, unguarded, " write versions as given (restoring a dump)") : "";
  return h("div", {}, h("div", { class: "row" }, fmt, file, versioned), text, h("div", { class: "row" }, h("button", { class: "primary", id: "import", onclick: run }, "Import"), progress), report);
}

function patternsPanel(entities) {
  const list = entities.flatMap((e) => e.patterns.map((p) => ({ entity: e.definition.name, p })));
  return h("details", { id: "patterns", open: true }, h("summary", {}, "Access patterns"),
    list.map(({ entity, p }) => {
      const inputs = p.partition.fields.map((f) => h("input", { placeholder: f, "data-field": f, "aria-label": f }));
      const sortFields = p.sort ? (p.sort.template.match(/\{([^}:]+)/g) || []).map((x) => x.slice(1)) : [];
      const sortInputs = sortFields.map((f) => h("input", { placeholder: f + " (optional)", "data-field": f, "aria-label": f }));
      const run = async () => {
        const params = Object.fromEntries([...inputs, ...sortInputs].map((i) => [i.dataset.field, i.value]));
        const out = await api("pattern", { entity, index: p.index, params });
        BROWSE.base = { operation: "Query", request: out.request }; BROWSE.page = 1; BROWSE.cursor = out.LastEvaluatedKey || null;
        BROWSE.items = out.Items || []; BROWSE.labels = out.Labels || []; BROWSE.selected = new Set();
        $("#next-page").disabled = !BROWSE.cursor;
        $("#capacity").textContent = `${p.name}: ${out.Count} item(s)`;
        renderItems();
      };
      return h("div", { class: "row pattern" }, h("strong", {}, p.name), h("span", { class: "muted" }, `${p.index || "table"}: ${p.partition.template}${p.sort ? " + " + p.sort.template : ""}`),
        inputs, sortInputs, h("button", { class: "run-pattern", onclick: run }, "Run"));
    }));
}

// ---- streams ----
async function tailStream(table) {
  const box = $("#stream");
  const { Table: t } = await call("DescribeTable", { TableName: table });
  if (!t.LatestStreamArn) { box.replaceChildren(h("p", { class: "muted" }, `${table} has no stream enabled.`)); return; }
  const { StreamDescription: d } = await call("DescribeStream", { StreamArn: t.LatestStreamArn });
  const list = h("ol", { id: "stream-records" });
  box.replaceChildren(h("fieldset", {}, h("legend", {}, `Stream of ${table} (${d.StreamViewType})`), list));
  const iterators = {};
  for (const s of d.Shards) iterators[s.ShardId] = (await call("GetShardIterator", { StreamArn: t.LatestStreamArn, ShardId: s.ShardId, ShardIteratorType: "TRIM_HORIZON" })).ShardIterator;
  const poll = async () => {
    if (!document.body.contains(list)) return;
    for (const [shard, it] of Object.entries(iterators)) {
      if (!it) continue;
      const r = await call("GetRecords", { ShardIterator: it });
      iterators[shard] = r.NextShardIterator;
      for (const rec of r.Records || []) list.append(h("li", { class: "stream-record" }, `${rec.eventName} ${JSON.stringify(plainItem(rec.dynamodb.Keys || {}))}`));
    }
    setTimeout(poll, 1000);
  };
  poll();
}

// ---- PartiQL ----
function partiqlView() {
  const history = JSON.parse(localStorage.getItem("dynorm-partiql") || "[]");
  const area = h("textarea", { id: "partiql", "aria-label": "PartiQL statement" }, history[0] || "SELECT * FROM ");
  const out = h("div", { id: "partiql-out", class: "scroll" });
  const list = h("ul", { id: "partiql-history" });
  const renderHistory = () => list.replaceChildren(...history.map((s) => h("li", {}, h("a", { href: "#partiql", onclick: () => { area.value = s; } }, s))));
  const run = async () => {
    const statement = area.value.trim();
    const r = await call("ExecuteStatement", { Statement: statement, ReturnConsumedCapacity: "TOTAL" });
    history.splice(0, history.length, statement, ...history.filter((s) => s !== statement).slice(0, 29));
    localStorage.setItem("dynorm-partiql", JSON.stringify(history));
    renderHistory();
    out.replaceChildren(h("p", { class: "muted" }, `${(r.Items || []).length} item(s)` + (r.NextToken ? " (more: NextToken)" : "")),
      h("pre", { id: "partiql-result" }, (r.Items || []).map((i) => JSON.stringify(plainItem(i))).join("\n")));
  };
  area.addEventListener("keydown", (ev) => { if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) run(); });
  main.replaceChildren(h("h2", {}, "PartiQL"), area,
    h("div", { class: "row" }, h("button", { class: "primary", id: "run-partiql", onclick: run }, "Run (Ctrl+Enter)")), out,
    h("h3", {}, "History"), list);
  renderHistory();
  area.focus();
}

// ---- model ----
async function modelView() {
  MODEL = await api("model");
  main.replaceChildren(h("h2", {}, "Data model"),
    MODEL.entities.length ? h("ul", {}, MODEL.entities.map((e) => h("li", {}, h("strong", {}, e.definition.name), ` in ${e.definition.table}: `,
      e.definition.keys.map((k) => `${k.index ? k.index + "." : ""}${k.attribute} = ${k.template}`).join("; ")))) : h("p", { class: "muted" }, "Started without entities: give `dynorm serve` a schema file with entities."),
    h("h3", {}, "Diagram"), h("div", { class: "scroll" }, diagram(MODEL)),
    h("details", {}, h("summary", {}, "Mermaid source (as `dynorm schema docs` writes it)"), h("pre", { id: "mermaid" }, MODEL.mermaid || "(no diagram)")));
}

// The data model drawn as SVG here (no diagram library, no network): each table with its keys and
// indexes, and beside it the entities stored in it with the templates of their keys.
const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}
const keyNames = (k) => [].concat(k ?? []);
function tableLines(t) {
  const lines = [`PK ${t.partition_key}`];
  if (t.sort_key) lines.push(`SK ${t.sort_key}`);
  for (const g of t.global_secondary_indexes || []) {
    const pk = [...keyNames(g.partition_key), ...(g.additional_partition_keys || [])];
    const sk = [...keyNames(g.sort_key), ...(g.additional_sort_keys || [])];
    lines.push(`GSI ${g.name}: ${pk.join(" + ")}${sk.length ? " / " + sk.join(" + ") : ""}`);
  }
  for (const l of t.local_secondary_indexes || []) lines.push(`LSI ${l.name}: ${l.sort_key}`);
  return lines;
}
function entityLines(e) {
  return e.keys.map((k) => `${k.index ? k.index + "." : ""}${k.attribute} = ${k.template}`);
}
// One box: a title bar and monospace lines; its height.
const LINE = 16, CHAR = 7.3, PAD = 8;
const boxWidth = (title, lines) => PAD * 2 + CHAR * Math.max(title.length, ...lines.map((l) => l.length));
function box(root, x, y, width, title, lines, kind) {
  const height = LINE * (lines.length + 1) + PAD * 2;
  const g = svg("g", { class: `box ${kind}`, "data-name": title });
  g.append(svg("rect", { x, y, width, height, rx: 4 }), svg("rect", { x, y, width, height: LINE + PAD, rx: 4, class: "title" }));
  g.append(svg("text", { x: x + PAD, y: y + LINE, class: "title" }, title));
  lines.forEach((l, i) => g.append(svg("text", { x: x + PAD, y: y + LINE * (i + 2) + PAD }, l)));
  root.append(g);
  return height;
}
function diagram(model) {
  const tables = [...model.tables];
  for (const e of model.entities) if (!tables.some((t) => t.name === e.definition.table)) tables.push({ name: e.definition.table, partition_key: "?" });
  const root = svg("svg", { id: "diagram", role: "img", "aria-label": "data-model diagram" });
  const tableW = Math.max(160, ...tables.map((t) => boxWidth("table " + t.name, tableLines(t))));
  const entities = model.entities.map((e) => e.definition);
  const entityX = tableW + 80, entityW = Math.max(160, ...entities.map((e) => boxWidth(e.name, entityLines(e))));
  let y = 10;
  for (const t of tables) {
    const th = box(root, 10, y, tableW, "table " + t.name, tableLines(t), "table");
    let ey = y;
    for (const e of entities.filter((e) => e.table === t.name)) {
      const eh = box(root, entityX, ey, entityW, e.name, entityLines(e), "entity");
      root.prepend(svg("path", { d: `M${10 + tableW},${y + LINE} C${entityX - 40},${y + LINE} ${10 + tableW + 40},${ey + LINE} ${entityX},${ey + LINE}`, class: "edge" }));
      ey += eh + 12;
    }
    y = Math.max(y + th, ey) + 24;
  }
  root.setAttribute("width", entityX + entityW + 10);
  root.setAttribute("height", Math.max(y, 40));
  if (!tables.length) root.append(svg("text", { x: 10, y: 24 }, "(no tables in the schema)"));
  return root;
}

// ---- snapshots ----
// Taken before every destructive action, so an accident is one click from undone.
async function snapshotBefore(reason) {
  return api("snapshots", { reason });
}
function undoNotice(snapshot, what) {
  const notice = $("#notice");
  notice.hidden = false;
  notice.replaceChildren(`${what}. Snapshot ${snapshot.name} was taken first: `,
    h("button", { id: "undo", onclick: () => restoreSnapshot(snapshot.name) }, "Restore it"), " ",
    h("button", { onclick: () => { notice.hidden = true; } }, "Dismiss"));
}
async function restoreSnapshot(name) {
  if (!confirm(`Replace the whole database with snapshot ${name}? Changes made since are lost.`)) return;
  await api("snapshots/restore", { name });
  const notice = $("#notice");
  notice.hidden = false;
  notice.replaceChildren(h("span", { id: "restored" }, `Restored snapshot ${name}.`));
  route();
}
async function snapshotsView() {
  const { directory, snapshots } = await api("snapshots");
  const name = h("input", { id: "snapshot-name", placeholder: "name (optional)", "aria-label": "snapshot name" });
  const take = async () => {
    const s = await api("snapshots", name.value.trim() ? { name: name.value.trim() } : { reason: "by hand" });
    await snapshotsView();
    $("#notice").hidden = false; $("#notice").replaceChildren(`Snapshot ${s.name} taken.`);
  };
  const rows = snapshots.map((s) => h("tr", { class: "snapshot", "data-name": s.name },
    h("td", {}, h("code", {}, s.name)), h("td", {}, s.taken), h("td", { class: "hide-narrow" }, `${s.bytes} B`),
    h("td", {}, s.automatic ? "before a destructive action" : "by hand"),
    h("td", {}, h("button", { class: "restore", onclick: () => restoreSnapshot(s.name) }, "Restore"), " ",
      h("button", { class: "danger", onclick: async () => { if (confirm(`Delete snapshot ${s.name}?`)) { await api("snapshots/delete", { name: s.name }); snapshotsView(); } } }, "Delete"))));
  main.replaceChildren(h("h2", {}, "Snapshots"),
    h("p", { class: "muted" }, `Copies of the whole database, kept in ${directory}. One is taken before each purge, table deletion and bulk delete.`),
    h("div", { class: "row" }, name, h("button", { class: "primary", id: "take-snapshot", onclick: take }, "Take a snapshot")),
    snapshots.length ? h("div", { class: "scroll" }, h("table", { id: "snapshots" },
      h("thead", {}, h("tr", {}, ["Name", "Taken", "Size", "Why", ""].map((c) => h("th", c === "Size" ? { class: "hide-narrow" } : {}, c)))),
      h("tbody", {}, rows))) : h("p", { class: "muted", id: "snapshots" }, "No snapshots yet."));
}

// ---- routing ----
function route() {
  const hash = decodeURIComponent(location.hash.slice(1));
  const run = hash.startsWith("table/") ? tableView(hash.slice(6)) : hash === "partiql" ? partiqlView() : hash === "model" ? modelView() : hash === "snapshots" ? snapshotsView() : tablesView();
  Promise.resolve(run).catch((e) => showError(e));
}
// Changing the hash routes (hashchange); route directly only when it doesn't change, so a view is
// never rendered twice at once (the second would replace what a click was aimed at).
$("#nav-tables").onclick = () => { if (location.hash.length > 1) location.hash = ""; else route(); };
$("#nav-partiql").onclick = () => { location.hash = "partiql"; };
$("#nav-model").onclick = () => { location.hash = "model"; };
$("#nav-snapshots").onclick = () => { location.hash = "snapshots"; };
window.addEventListener("hashchange", route);
window.addEventListener("unhandledrejection", (ev) => showError(ev.reason));
route();
