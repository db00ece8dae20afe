//! The status kept beside each item (what lists filter, sort and permit
//! by, derived by the engine and written in the transaction of the action
//! that changes it), and the queries that read lists from it: a page of
//! items, and the reviews waiting for someone.

/// What lists filter, sort and permit an item by. The engine derives it
/// from the item, its ancestors and its blueprint (`engine::kept`); the
/// store keeps it in indexed columns and tables, and writes only what an
/// action changed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ItemIndex {
    /// The state of the current step's sign-off (`None`: the current step
    /// has none, or the workflow is finished).
    pub signoff: Option<String>,
    /// When the current sign-off's first running clock falls due (epoch
    /// seconds).
    pub review_due: Option<i64>,
    /// The first user the item's `owner` role names, else its creator.
    pub owner: Option<String>,
    /// Who may read it, as principal keys (see [`key`]), sorted.
    pub readers: Vec<String>,
    /// The deploy verdict on each infrastructure (infrastructure, verdict),
    /// by infrastructure.
    pub deploys: Vec<(String, String)>,
    /// The reviews it waits for, sorted.
    pub queue: Vec<QueueEntry>,
    /// (group, user): users who may not act for a group although one of
    /// their keys is queued for it (they reviewed already, delegated it
    /// away, or requested an approval they may not give), sorted.
    pub barred: Vec<(String, String)>,
}

/// One review an item waits for: who (a principal key) may give it, for
/// which feedback group (`final`: the final approval), due when.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct QueueEntry {
    /// The principal key.
    pub key: String,
    /// The feedback group, or `final`.
    pub group: String,
    /// When it falls due (epoch seconds).
    pub due_at: Option<i64>,
}

/// The key of a principal in the kept index: `u:NAME` (a user), `g:NAME` (a
/// group), `k:NAME` (an API key) or `*` (everyone).
pub mod key {
    /// A user's key.
    pub fn user(name: &str) -> String {
        format!("u:{name}")
    }
    /// A group's key.
    pub fn group(name: &str) -> String {
        format!("g:{name}")
    }
    /// An API key's key.
    pub fn api_key(name: &str) -> String {
        format!("k:{name}")
    }
    /// Everyone's key.
    pub const EVERYONE: &str = "*";
}

/// The due time a queue row stores for a review without one: it sorts last.
pub const NO_DUE: i64 = i64::MAX;

/// Which items of the tree a list takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Under {
    /// Anywhere.
    #[default]
    Anywhere,
    /// Items without a parent.
    Root,
    /// Children of this item.
    Parent(i64),
}

/// The order of a page of items, and where it starts: after the position
/// given (`None`: from the first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemSeek {
    /// By id.
    Id(Option<i64>),
    /// Most recently updated first: after (updated_at as stored, id).
    Updated(Option<(String, i64)>),
    /// Least recently updated first: after (updated_at as stored, id).
    Oldest(Option<(String, i64)>),
    /// Only items whose current sign-off has a due time, soonest first:
    /// after (due, id).
    Due(Option<(i64, i64)>),
    /// By a text column (the name or the step, bytewise), ties by id, in
    /// one direction; items without a value last, by id in the same
    /// direction. Only the items of one blueprint (its index has the
    /// column after the blueprint).
    Text(TextSeek),
}

/// A text column items are ordered by ([`ItemSeek::Text`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextColumn {
    /// The item's name.
    Name,
    /// Its current step (none once the workflow is over, or without one).
    Step,
}

impl TextColumn {
    /// The items column.
    pub(crate) fn column(self) -> &'static str {
        match self {
            TextColumn::Name => "name",
            TextColumn::Step => "step",
        }
    }

    /// Its value for `row`.
    fn of(self, row: &super::Item) -> Option<String> {
        match self {
            TextColumn::Name => Some(row.name.clone()),
            TextColumn::Step => row.step.clone(),
        }
    }
}

/// An order by a text column and where it starts ([`ItemSeek::Text`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextSeek {
    /// The column.
    pub column: TextColumn,
    /// Greatest value first.
    pub descending: bool,
    /// After (the value, or `None` among the items without one, and the
    /// id); `None`: from the first.
    pub after: Option<(Option<String>, i64)>,
}

impl ItemSeek {
    /// The same order, starting after `row` (`due`: its kept review due
    /// time, for [`ItemSeek::Due`]).
    pub fn past(&self, row: &super::Item, due: Option<i64>) -> ItemSeek {
        match self {
            ItemSeek::Id(_) => ItemSeek::Id(Some(row.id)),
            ItemSeek::Updated(_) => {
                ItemSeek::Updated(Some((super::stamps::ts(row.updated_at), row.id)))
            }
            ItemSeek::Oldest(_) => {
                ItemSeek::Oldest(Some((super::stamps::ts(row.updated_at), row.id)))
            }
            ItemSeek::Due(_) => ItemSeek::Due(Some((due.unwrap_or(NO_DUE), row.id))),
            ItemSeek::Text(t) => ItemSeek::Text(TextSeek {
                after: Some((t.column.of(row), row.id)),
                ..t.clone()
            }),
        }
    }
}

impl Default for ItemSeek {
    fn default() -> Self {
        ItemSeek::Id(None)
    }
}

/// A filtered, sorted page of items.
#[derive(Debug, Clone, Default)]
pub struct ItemQuery {
    /// Only this blueprint's items.
    pub blueprint: Option<String>,
    /// Where in the tree.
    pub under: Under,
    /// Only items at this step.
    pub step: Option<String>,
    /// Only items whose current sign-off is in this state.
    pub signoff: Option<String>,
    /// Only items of this owner.
    pub owner: Option<String>,
    /// Only items with this verdict on this infrastructure.
    pub deploy: Option<(String, String)>,
    /// Only items one of these keys may read (`None`: every item, for an
    /// admin).
    pub readers: Option<Vec<String>>,
    /// The order, and where the page starts.
    pub seek: ItemSeek,
    /// How many.
    pub limit: i64,
}

/// A page: its rows, and where the next one starts, if more follow.
#[derive(Debug, Clone)]
pub struct Page<T, S> {
    /// The rows.
    pub rows: Vec<T>,
    /// Where the next page starts.
    pub next: Option<S>,
}

/// The order of a page of the reviews waiting for someone, and where it
/// starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewSeek {
    /// By item, after this item (`None`: from the first).
    Item(Option<i64>),
    /// Soonest due first, those without a due time last: after (due,
    /// item, group), the due time as stored ([`NO_DUE`] for none).
    Due(Option<(i64, i64, String)>),
}

/// The reviews waiting for a user or an API key: those queued for one of
/// `keys` that `user` is not barred from.
#[derive(Debug, Clone)]
pub struct ReviewQuery {
    /// The caller's principal keys.
    pub keys: Vec<String>,
    /// The caller's name.
    pub user: String,
    /// The order and start.
    pub seek: ReviewSeek,
    /// How many (item, group) entries at most.
    pub limit: i64,
}

/// A review waiting: the item, the group (or `final`), when it falls due.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct QueuedReview {
    /// The item.
    pub item: i64,
    /// The group, or `final`.
    pub group: String,
    /// When it falls due (epoch seconds).
    pub due_at: Option<i64>,
}

/// Merges the reviews queued for each of a caller's keys (each list in
/// `seek`'s order, read `limit` at most) into one list in that order,
/// without the entries two keys share: the first `limit` of it.
pub(crate) fn merge_queues(
    lists: Vec<Vec<QueuedReview>>,
    seek: &ReviewSeek,
    limit: usize,
) -> Vec<QueuedReview> {
    let mut all: Vec<QueuedReview> = lists.into_iter().flatten().collect();
    let order = |r: &QueuedReview| match seek {
        ReviewSeek::Item(_) => (0, r.item, r.group.clone()),
        ReviewSeek::Due(_) => (r.due_at.unwrap_or(NO_DUE), r.item, r.group.clone()),
    };
    all.sort_by_key(order);
    all.dedup_by(|a, b| a.item == b.item && a.group == b.group);
    all.truncate(limit);
    all
}

/// Which of the columns kept on an item's row an action changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ColumnsChanged {
    /// `signoff`.
    pub(crate) signoff: bool,
    /// `review_due`.
    pub(crate) review_due: bool,
    /// `owner`.
    pub(crate) owner: bool,
    /// `barred`.
    pub(crate) barred: bool,
}

impl ColumnsChanged {
    /// Whether any changed.
    pub(crate) fn any(self) -> bool {
        self.signoff || self.review_due || self.owner || self.barred
    }
}

/// Rows gone and rows new.
type GoneNew<'a, T> = (Vec<&'a T>, Vec<&'a T>);

/// What changed between two indexes of one item, as rows to delete and
/// rows to insert, so an action writes only what it changed.
pub(crate) struct IndexDiff<'a> {
    /// Which columns kept on the item's row changed: only those are
    /// written, so an index on a column that did not change is not touched.
    pub(crate) columns: ColumnsChanged,
    /// Readers gone, readers new.
    pub(crate) readers: GoneNew<'a, String>,
    /// Deploy verdicts gone (by infrastructure), verdicts new or changed.
    pub(crate) deploys: (Vec<&'a String>, Vec<&'a (String, String)>),
    /// Queue entries gone, entries new.
    pub(crate) queue: GoneNew<'a, QueueEntry>,
}

fn gone_new<'a, T: PartialEq>(before: &'a [T], after: &'a [T]) -> GoneNew<'a, T> {
    (
        before.iter().filter(|b| !after.contains(b)).collect(),
        after.iter().filter(|a| !before.contains(a)).collect(),
    )
}

impl<'a> IndexDiff<'a> {
    /// The difference from `before` (`None`: nothing was kept) to `after`.
    pub(crate) fn between(before: Option<&'a ItemIndex>, after: &'a ItemIndex) -> IndexDiff<'a> {
        static EMPTY: ItemIndex = ItemIndex {
            signoff: None,
            review_due: None,
            owner: None,
            readers: Vec::new(),
            deploys: Vec::new(),
            queue: Vec::new(),
            barred: Vec::new(),
        };
        let b = before.unwrap_or(&EMPTY);
        let deploys = {
            let gone = b
                .deploys
                .iter()
                .filter(|(i, _)| !after.deploys.iter().any(|(j, _)| j == i))
                .map(|(i, _)| i)
                .collect();
            let changed = after
                .deploys
                .iter()
                .filter(|d| !b.deploys.contains(d))
                .collect();
            (gone, changed)
        };
        IndexDiff {
            columns: ColumnsChanged {
                signoff: before.is_none() || b.signoff != after.signoff,
                review_due: before.is_none() || b.review_due != after.review_due,
                owner: before.is_none() || b.owner != after.owner,
                barred: before.is_none() || b.barred != after.barred,
            },
            readers: gone_new(&b.readers, &after.readers),
            deploys,
            queue: gone_new(&b.queue, &after.queue),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(item: i64, group: &str, due: Option<i64>) -> QueuedReview {
        QueuedReview {
            item,
            group: group.into(),
            due_at: due,
        }
    }

    #[test]
    fn queues_merge_in_order_without_duplicates() {
        let a = vec![r(1, "risk", None), r(4, "risk", Some(9))];
        let b = vec![r(1, "risk", None), r(2, "final", Some(5))];
        let merged = merge_queues(vec![a.clone(), b.clone()], &ReviewSeek::Item(None), 10);
        assert_eq!(
            merged,
            vec![
                r(1, "risk", None),
                r(2, "final", Some(5)),
                r(4, "risk", Some(9))
            ]
        );
        let by_due = merge_queues(vec![a, b], &ReviewSeek::Due(None), 2);
        assert_eq!(by_due, vec![r(2, "final", Some(5)), r(4, "risk", Some(9))]);
    }

    #[test]
    fn a_diff_writes_only_what_changed() {
        let before = ItemIndex {
            signoff: Some("WAITING_FOR_FEEDBACK".into()),
            readers: vec!["*".into()],
            deploys: vec![("prod".into(), "BLOCK".into())],
            ..ItemIndex::default()
        };
        let mut after = before.clone();
        after.deploys = vec![("prod".into(), "ALLOW".into())];
        let d = IndexDiff::between(Some(&before), &after);
        assert!(!d.columns.any());
        assert!(d.readers.0.is_empty() && d.readers.1.is_empty());
        assert!(d.deploys.0.is_empty());
        assert_eq!(d.deploys.1.len(), 1);
        assert!(IndexDiff::between(None, &after).columns.any());
        let mut moved = before.clone();
        moved.signoff = Some("APPROVED".into());
        let only = IndexDiff::between(Some(&before), &moved).columns;
        assert_eq!(
            only,
            ColumnsChanged {
                signoff: true,
                ..ColumnsChanged::default()
            }
        );
    }
}
