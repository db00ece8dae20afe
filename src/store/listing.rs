//! The SQL of the lists read from the kept index (a page of items, the
//! reviews queued for one key), written once for both backends: each binds
//! the values in its own placeholder style and matches a list of keys in
//! its own way.

use super::index::{
    ColumnsChanged, ItemIndex, ItemQuery, ItemSeek, NO_DUE, ReviewSeek, TextSeek, Under,
};

/// A value a statement binds.
#[derive(Debug, Clone)]
pub(crate) enum Bind {
    /// Text.
    Text(String),
    /// An integer.
    Int(i64),
    /// A list of principal keys.
    Keys(Vec<String>),
    /// Text or NULL.
    OptText(Option<String>),
    /// An integer or NULL.
    OptInt(Option<i64>),
}

/// A statement and its values, in order.
#[derive(Debug, Clone)]
pub(crate) struct Sql {
    /// The text.
    pub(crate) text: String,
    /// The values.
    pub(crate) binds: Vec<Bind>,
}

/// Whose SQL: placeholders and list matching differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// `?N`, lists as a JSON array read with `json_each`.
    Sqlite,
    /// `$N`, lists as a `TEXT[]` matched with `ANY`.
    Postgres,
}

impl Dialect {
    fn slot(self, n: usize) -> String {
        match self {
            Dialect::Sqlite => format!("?{n}"),
            Dialect::Postgres => format!("${n}"),
        }
    }

    /// A text column as it orders bytewise (what the engine sorts by).
    fn bytewise(self, column: &str) -> String {
        match self {
            Dialect::Sqlite => column.to_string(),
            Dialect::Postgres => format!("{column} COLLATE \"C\""),
        }
    }

    /// Whether the user in `slot` is barred from the review of queue
    /// entry `q` (see [`barred_text`]).
    fn barred(self, slot: &str) -> String {
        match self {
            Dialect::Sqlite => format!(
                "EXISTS (SELECT 1 FROM items x, json_each(x.barred) j WHERE x.id = q.item AND j.value ->> 0 = q.grp AND j.value ->> 1 = {slot})"
            ),
            Dialect::Postgres => format!(
                "EXISTS (SELECT 1 FROM items x WHERE x.id = q.item AND x.barred::jsonb @> jsonb_build_array(jsonb_build_array(q.grp, {slot}::text)))"
            ),
        }
    }

    fn any_of(self, column: &str, slot: &str) -> String {
        match self {
            Dialect::Sqlite => format!("{column} IN (SELECT value FROM json_each({slot}))"),
            Dialect::Postgres => format!("{column} = ANY({slot})"),
        }
    }
}

/// Builds a statement, numbering its values as they are added.
struct Builder {
    dialect: Dialect,
    binds: Vec<Bind>,
}

impl Builder {
    fn bind(&mut self, b: Bind) -> String {
        self.binds.push(b);
        self.dialect.slot(self.binds.len())
    }
}

/// The kept columns of an item's row that `changed` names, with `after`'s
/// values: what an update of the row sets besides the item's own columns.
pub(crate) fn kept_sets(changed: ColumnsChanged, after: &ItemIndex) -> Vec<(&'static str, Bind)> {
    let mut sets = Vec::new();
    if changed.signoff {
        sets.push(("signoff", Bind::OptText(after.signoff.clone())));
    }
    if changed.review_due {
        sets.push(("review_due", Bind::OptInt(after.review_due)));
    }
    if changed.owner {
        sets.push(("owner", Bind::OptText(after.owner.clone())));
    }
    if changed.barred {
        sets.push(("barred", Bind::Text(barred_text(&after.barred))));
    }
    sets
}

/// The UPDATE of the columns kept on item `item`'s row that `changed`
/// names, to `after`'s values (`None`: none changed).
pub(crate) fn kept_columns(
    item: i64,
    changed: ColumnsChanged,
    after: &ItemIndex,
    dialect: Dialect,
) -> Option<Sql> {
    if !changed.any() {
        return None;
    }
    let mut b = Builder {
        dialect,
        binds: Vec::new(),
    };
    let id = b.bind(Bind::Int(item));
    let sets: Vec<String> = kept_sets(changed, after)
        .into_iter()
        .map(|(column, value)| format!("{column} = {}", b.bind(value)))
        .collect();
    Some(Sql {
        text: format!("UPDATE items SET {} WHERE id = {id}", sets.join(", ")),
        binds: b.binds,
    })
}

/// Every blueprint that may have items (an item's blueprint version is
/// one of these).
pub(crate) const BLUEPRINTS_WITH_ITEMS: &str =
    "SELECT DISTINCT blueprint FROM blueprint_versions ORDER BY blueprint";

/// Who is barred from which group's review, as the `barred` column holds
/// it: a JSON array of `[group, user]` pairs, in order. Kept on the item's
/// row, which every action writes anyway, not in a table of its own.
pub(crate) fn barred_text(barred: &[(String, String)]) -> String {
    serde_json::to_string(barred).unwrap_or_else(|_| "[]".into())
}

/// The `barred` column read back (see [`barred_text`]).
pub(crate) fn barred_of(text: &str) -> Result<Vec<(String, String)>, serde_json::Error> {
    serde_json::from_str(text)
}

/// Whether `q`'s page is read as one ranged scan per blueprint, merged: a
/// page by update time of every blueprint's items, as the only index on
/// update time is the one by blueprint (an action writes one index page
/// for it, not two). Only then does [`item_page`] need the blueprints.
pub(crate) fn merges_blueprints(q: &ItemQuery) -> bool {
    matches!(q.seek, ItemSeek::Updated(_) | ItemSeek::Oldest(_)) && q.blueprint.is_none()
}

/// A page of items (one over the limit, to know whether more follow): the
/// item columns, then `review_due`. `blueprints` lists every blueprint that
/// has items when [`merges_blueprints`] (otherwise it is not read).
pub(crate) fn item_page(
    q: &ItemQuery,
    dialect: Dialect,
    columns: &str,
    blueprints: &[String],
) -> Sql {
    let mut b = Builder {
        dialect,
        binds: Vec::new(),
    };
    let limit = b.bind(Bind::Int(q.limit.saturating_add(1)));
    let text = if let ItemSeek::Text(t) = &q.seek {
        text_page(q, t, &mut b, columns, &limit)
    } else if merges_blueprints(q) && !blueprints.is_empty() {
        let parts: Vec<String> = blueprints
            .iter()
            .enumerate()
            .map(|(n, bp)| {
                let one = select(q, &mut b, columns, Some(bp), &limit, Part::Whole);
                format!("SELECT * FROM ({one}) AS b{n}")
            })
            .collect();
        let (_, order) = updated_order(&q.seek);
        format!(
            "{} ORDER BY {order} LIMIT {limit}",
            parts.join(" UNION ALL ")
        )
    } else {
        select(
            q,
            &mut b,
            columns,
            q.blueprint.as_deref(),
            &limit,
            Part::Whole,
        )
    };
    Sql {
        text,
        binds: b.binds,
    }
}

/// Which items of an order one SELECT reads: all of them, or, by a text
/// column ([`ItemSeek::Text`]), one of the ranges a page of it is read as,
/// each an index range read in order to the page's limit.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Whole,
    /// The items with the position's value, past its id.
    Same,
    /// The items with a value past the position's (any value, from the first).
    Beyond,
    /// The items without a value (past the position's id, if it is among them).
    Unset,
}

/// A page by a text column ([`ItemSeek::Text`]): the rest of the
/// position's value, the values beyond it, then the items without one, by
/// id; each range read to the page's limit, the ranges put in order. (A
/// row-value comparison, `(name, id) > (?, ?)`, is not read as one index
/// range by SQLite: it passes over everything with the same value.)
fn text_page(q: &ItemQuery, t: &TextSeek, b: &mut Builder, columns: &str, limit: &str) -> String {
    let name = t.column.column();
    let dir = if t.descending { " DESC" } else { "" };
    let parts: &[Part] = match &t.after {
        None => &[Part::Beyond, Part::Unset],
        Some((Some(_), _)) => &[Part::Same, Part::Beyond, Part::Unset],
        // Past every value already.
        Some((None, _)) => &[Part::Unset],
    };
    let inner: Vec<String> = parts
        .iter()
        .enumerate()
        .map(|(n, part)| {
            let one = select(q, b, columns, q.blueprint.as_deref(), limit, *part);
            format!("SELECT * FROM ({one}) AS u{n}")
        })
        .collect();
    let inner = inner.join(" UNION ALL ");
    let column = b.dialect.bytewise(&format!("p.{name}"));
    format!(
        "SELECT * FROM ({inner}) AS p ORDER BY (p.{name} IS NULL), {column}{dir}, p.id{dir} LIMIT {limit}"
    )
}

/// How a list by update time compares a row with the position it starts
/// after, and its ORDER BY: newest first unless `seek` is oldest first.
fn updated_order(seek: &ItemSeek) -> (&'static str, &'static str) {
    if matches!(seek, ItemSeek::Oldest(_)) {
        (">", "updated_at, id")
    } else {
        ("<", "updated_at DESC, id DESC")
    }
}

/// The conditions (into `conds`) and the order of a page of items sorted by
/// a text column: within the position's value (`Part::Same`), among the
/// items without one (`Part::Unset`), or past it.
fn text_order(b: &mut Builder, t: &TextSeek, part: Part, conds: &mut Vec<String>) -> String {
    let name = t.column.column();
    let column = b.dialect.bytewise(name);
    let (past, dir) = if t.descending {
        ("<", " DESC")
    } else {
        (">", "")
    };
    match (part, &t.after) {
        (Part::Same, Some((Some(value), id))) => {
            let v = b.bind(Bind::Text(value.clone()));
            let i = b.bind(Bind::Int(*id));
            conds.push(format!("{column} = {v} AND id {past} {i}"));
            format!("id{dir}")
        }
        (Part::Unset, after) => {
            conds.push(format!("{name} IS NULL"));
            if let Some((None, id)) = after {
                let i = b.bind(Bind::Int(*id));
                conds.push(format!("id {past} {i}"));
            }
            format!("id{dir}")
        }
        (_, after) => {
            match after {
                Some((Some(value), _)) => {
                    let v = b.bind(Bind::Text(value.clone()));
                    conds.push(format!("{column} {past} {v}"));
                }
                _ => conds.push(format!("{name} IS NOT NULL")),
            }
            format!("{column}{dir}, id{dir}")
        }
    }
}

/// One SELECT of `q`'s page, of `blueprint`'s items only when given.
fn select(
    q: &ItemQuery,
    b: &mut Builder,
    columns: &str,
    blueprint: Option<&str>,
    limit: &str,
    part: Part,
) -> String {
    let dialect = b.dialect;
    let mut conds: Vec<String> = Vec::new();
    if let Some(bp) = blueprint {
        let s = b.bind(Bind::Text(bp.to_string()));
        conds.push(format!("blueprint = {s}"));
    }
    match q.under {
        Under::Anywhere => {}
        Under::Root => conds.push("parent IS NULL".into()),
        Under::Parent(p) => {
            let s = b.bind(Bind::Int(p));
            conds.push(format!("parent = {s}"));
        }
    }
    // The step's index is bytewise (the order of tables by step).
    for (column, value) in [
        (dialect.bytewise("step"), &q.step),
        ("signoff".to_string(), &q.signoff),
        ("owner".to_string(), &q.owner),
    ] {
        if let Some(v) = value {
            let s = b.bind(Bind::Text(v.clone()));
            conds.push(format!("{column} = {s}"));
        }
    }
    // By id, without a step (whose index is by id within the step), a
    // deploy filter reads the verdict index in item order and stops at
    // the page's end, however few items have that verdict; otherwise each
    // item the order passes is looked up there.
    let by_verdict = q.deploy.is_some() && matches!(q.seek, ItemSeek::Id(_)) && q.step.is_none();
    let from = if by_verdict {
        "item_deploys d CROSS JOIN items"
    } else {
        "items"
    };
    if let Some((infra, verdict)) = &q.deploy {
        let i = b.bind(Bind::Text(infra.clone()));
        let v = b.bind(Bind::Text(verdict.clone()));
        if by_verdict {
            conds.push(format!(
                "d.infrastructure = {i} AND d.verdict = {v} AND items.id = d.item"
            ));
        } else {
            conds.push(format!(
                "EXISTS (SELECT 1 FROM item_deploys d WHERE d.item = items.id AND d.infrastructure = {i} AND d.verdict = {v})"
            ));
        }
    }
    if let Some(keys) = &q.readers {
        let s = b.bind(Bind::Keys(keys.clone()));
        let any = dialect.any_of("r.key", &s);
        conds.push(format!(
            "EXISTS (SELECT 1 FROM item_readers r WHERE r.item = items.id AND {any})"
        ));
    }
    let order_text: String;
    let order = match &q.seek {
        ItemSeek::Id(after) => {
            // The verdict index's order when it is read (its range starts
            // at the position).
            let id = if by_verdict { "d.item" } else { "id" };
            if let Some(after) = after {
                let s = b.bind(Bind::Int(*after));
                conds.push(format!("{id} > {s}"));
            }
            id
        }
        ItemSeek::Updated(after) | ItemSeek::Oldest(after) => {
            let (past, order) = updated_order(&q.seek);
            if let Some((at, id)) = after {
                let a = b.bind(Bind::Text(at.clone()));
                let i = b.bind(Bind::Int(*id));
                conds.push(format!(
                    "(updated_at {past} {a} OR (updated_at = {a} AND id {past} {i}))"
                ));
            }
            order
        }
        ItemSeek::Due(after) => {
            conds.push("review_due IS NOT NULL".into());
            if let Some((due, id)) = after {
                let d = b.bind(Bind::Int(*due));
                let i = b.bind(Bind::Int(*id));
                conds.push(format!(
                    "(review_due > {d} OR (review_due = {d} AND id > {i}))"
                ));
            }
            "review_due, id"
        }
        ItemSeek::Text(t) => {
            order_text = text_order(b, t, part, &mut conds);
            &order_text
        }
    };
    let filter = if conds.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conds.join(" AND "))
    };
    format!("SELECT {columns}, review_due FROM {from}{filter} ORDER BY {order} LIMIT {limit}")
}

/// The reviews queued for one key that `user` is not barred from, in
/// `seek`'s order: (item, group, due).
pub(crate) fn queued_for(
    key: &str,
    user: &str,
    seek: &ReviewSeek,
    limit: i64,
    dialect: Dialect,
) -> Sql {
    let mut b = Builder {
        dialect,
        binds: Vec::new(),
    };
    let k = b.bind(Bind::Text(key.into()));
    let u = b.bind(Bind::Text(user.into()));
    let mut conds = vec![
        format!("q.key = {k}"),
        format!("NOT {}", dialect.barred(&u)),
    ];
    let order = match seek {
        ReviewSeek::Item(after) => {
            if let Some(item) = after {
                let s = b.bind(Bind::Int(*item));
                conds.push(format!("q.item > {s}"));
            }
            "q.item"
        }
        ReviewSeek::Due(after) => {
            if let Some((due, item, group)) = after {
                let d = b.bind(Bind::Int(*due));
                let i = b.bind(Bind::Int(*item));
                let g = b.bind(Bind::Text(group.clone()));
                let grp = dialect.bytewise("q.grp");
                conds.push(format!(
                    "(q.due > {d} OR (q.due = {d} AND (q.item > {i} OR (q.item = {i} AND {grp} > {g}))))"
                ));
            }
            "q.due, q.item"
        }
    };
    let order = format!("{order}, {}", dialect.bytewise("q.grp"));
    let limit = b.bind(Bind::Int(limit));
    Sql {
        text: format!(
            "SELECT q.item, q.grp, q.due FROM review_queue q WHERE {} ORDER BY {order} LIMIT {limit}",
            conds.join(" AND ")
        ),
        binds: b.binds,
    }
}

/// A stored due time as the engine takes it.
pub(crate) fn due_of(stored: i64) -> Option<i64> {
    (stored != NO_DUE).then_some(stored)
}

/// Rows read one over the limit, with each one's `review_due`, as a page:
/// the first `limit`, and where the next page starts when more follow.
pub(crate) fn page_of(
    mut rows: Vec<(super::Item, Option<i64>)>,
    q: &ItemQuery,
) -> super::index::Page<super::Item, ItemSeek> {
    let limit = usize::try_from(q.limit).unwrap_or(usize::MAX);
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next = match rows.last() {
        Some((last, due)) if more => Some(q.seek.past(last, *due)),
        _ => None,
    };
    super::index::Page {
        rows: rows.into_iter().map(|(r, _)| r).collect(),
        next,
    }
}
