//! Lists read from the kept index (`kept`): items filtered and sorted in
//! SQL with the caller's read permission inside the query, and the reviews
//! waiting for a caller found through the keys they match. A page costs
//! what the first does, whatever the number of items.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::engine::access::{Identity, Resolver};
use crate::engine::core::Engine;
use crate::engine::error::Result;
use crate::engine::filters::TextFilter;
use crate::engine::index::keys_of;
use crate::engine::read::status::status_of;
use crate::engine::read::views::{ItemView, PendingReview, StatusView, view};
use crate::engine::rules::signoff::Status;
use crate::engine::set_cache::LoadedSet;
use crate::model::Blueprint;
use crate::model::Item;
use crate::store::index::{ItemQuery, QueuedReview, ReviewQuery};
pub use crate::store::index::{ItemSeek, ReviewSeek, Under};

/// What a list of items keeps: every filter is an indexed column of the
/// kept status.
#[derive(Debug, Clone, Default)]
pub struct ItemFilter {
    /// Only this blueprint's items.
    pub blueprint: Option<String>,
    /// Where in the tree.
    pub under: Under,
    /// Only items at this step.
    pub step: Option<String>,
    /// Only items whose current sign-off is in this state.
    pub signoff: Option<Status>,
    /// Only items of this owner (the first user their `owner` role names,
    /// else their creator).
    pub owner: Option<String>,
    /// Only items with this verdict (`ALLOW`, `CONFIRM`, `BLOCK`) on this
    /// infrastructure.
    pub deploy: Option<(String, String)>,
    /// Only items this condition holds for, as the caller may read them
    /// (`step == validation and risk_tier == high`), as written.
    pub condition: Option<String>,
}

impl ItemFilter {
    /// Items of one blueprint (all with `None`), under one parent (anywhere
    /// with `None`).
    pub fn of(blueprint: Option<&str>, parent: Option<i64>) -> ItemFilter {
        ItemFilter {
            blueprint: blueprint.map(str::to_string),
            under: parent.map_or(Under::Anywhere, Under::Parent),
            ..ItemFilter::default()
        }
    }
}

/// A page of rows, each with its set and its ancestors, and where the
/// next page starts.
type RowsPage = (Vec<(Arc<LoadedSet>, Vec<Item>)>, Option<ItemSeek>);

/// A position in the reviews by due time: (due as stored, item, group).
pub type ReviewPosition = (i64, i64, String);

/// Most items a list reads a statement.
const BATCH: usize = 1000;

impl Engine {
    /// A page of the rows `who` may read that match `filter`, in `seek`'s
    /// order, each with its set and (with `ancestors`) its ancestors; and
    /// where the next page starts.
    pub(in crate::engine) fn rows_page(
        &mut self,
        who: &Identity,
        filter: &ItemFilter,
        (mut seek, limit): (ItemSeek, usize),
        ancestors: bool,
    ) -> Result<RowsPage> {
        let now = self.now_or(None);
        let tx = self.store.read()?;
        let mut condition = match &filter.condition {
            Some(text) => Some(TextFilter::new(
                &tx,
                &mut self.cache,
                text,
                filter.blueprint.as_deref(),
            )?),
            None => None,
        };
        let mut out = Vec::with_capacity(limit.min(BATCH));
        loop {
            let query = ItemQuery {
                blueprint: filter.blueprint.clone(),
                under: filter.under,
                step: filter.step.clone(),
                signoff: filter.signoff.map(|s| s.as_str().to_string()),
                owner: filter.owner.clone(),
                deploy: filter.deploy.clone(),
                readers: (!who.admin).then(|| keys_of(who)),
                seek: seek.clone(),
                limit: i64::try_from(limit).unwrap_or(i64::MAX),
            };
            let page = tx.query_items(&query)?;
            let Some(condition) = condition.as_mut() else {
                for row in page.rows {
                    out.extend(Self::kept_row(
                        &tx,
                        &mut self.cache,
                        who,
                        filter,
                        row,
                        ancestors,
                    )?);
                }
                return Ok((out, page.next));
            };
            // A condition is kept here, not in SQL: read on until the page
            // is full, and continue after the last row kept.
            for row in page.rows {
                let position = seek.past(&row, None);
                let Some((set, chain)) =
                    Self::kept_row(&tx, &mut self.cache, who, filter, row, true)?
                else {
                    continue;
                };
                if !condition.keeps(
                    &Resolver {
                        set: &set,
                        chain: &chain,
                        who,
                    },
                    now,
                ) {
                    continue;
                }
                if out.len() == limit {
                    return Ok((out, Some(seek)));
                }
                let chain = if ancestors {
                    chain
                } else {
                    chain.into_iter().take(1).collect()
                };
                out.push((set, chain));
                seek = position;
            }
            match page.next {
                Some(next) => seek = next,
                None => return Ok((out, None)),
            }
        }
    }

    /// The row with its set and (with `ancestors`, or where field
    /// permissions need them) its ancestors, unless the owner filter would
    /// tell the caller a field they may not read.
    fn kept_row(
        tx: &crate::store::Tx<'_>,
        cache: &mut crate::engine::set_cache::SetCache,
        who: &Identity,
        filter: &ItemFilter,
        row: Item,
        ancestors: bool,
    ) -> Result<Option<(Arc<LoadedSet>, Vec<Item>)>> {
        let set = cache.get(tx, &row.blueprint, row.version)?;
        // Field permissions may name principals of the ancestors.
        let guarded = set.blueprint(&row.blueprint).is_some_and(|b| {
            b.fields
                .iter()
                .any(|f| f.read.is_some() || f.write.is_some())
        });
        let chain = if ancestors || guarded {
            Self::with_ancestors(tx, row)?
        } else {
            vec![row]
        };
        if filter.owner.is_some() && guarded {
            let resolver = Resolver {
                set: &set,
                chain: &chain,
                who,
            };
            // Filtering on a field one may not read would tell its value.
            if !resolver.may_read_field(0, "owner") {
                return Ok(None);
            }
        }
        Ok(Some((set, chain)))
    }

    /// `f` of every row `who` may read that matches `filter`, by id, read a
    /// batch at a time.
    fn each_row<T>(
        &mut self,
        who: &Identity,
        filter: &ItemFilter,
        ancestors: bool,
        f: impl Fn(&LoadedSet, &Blueprint, &[Item]) -> T,
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        let mut seek = ItemSeek::Id(None);
        loop {
            let (rows, next) = self.rows_page(who, filter, (seek, BATCH), ancestors)?;
            out.extend(rows.iter().filter_map(|(set, chain)| {
                set.blueprint(&chain[0].blueprint).map(|b| f(set, b, chain))
            }));
            match next {
                Some(n) => seek = n,
                None => return Ok(out),
            }
        }
    }

    /// Every item the caller may read that matches `filter`, by id.
    pub fn items(&mut self, who: &Identity, filter: &ItemFilter) -> Result<Vec<ItemView>> {
        self.each_row(who, filter, false, |set, b, chain| {
            Resolver { set, chain, who }.redact_view(view(&chain[0], b))
        })
    }

    /// The governance status of every item the caller may read that matches
    /// `filter`, by id.
    pub fn statuses(&mut self, who: &Identity, filter: &ItemFilter) -> Result<Vec<StatusView>> {
        let now = self.now_or(None);
        self.each_row(who, filter, true, |set, b, chain| {
            Resolver { set, chain, who }.redact_status(status_of(set, b, chain, now))
        })
    }

    /// A page of the items the caller may read that match `filter`: at most
    /// `limit` after the item `after`, by id, and the id to continue after
    /// if there may be more.
    pub fn items_page(
        &mut self,
        who: &Identity,
        filter: &ItemFilter,
        after: Option<i64>,
        limit: usize,
    ) -> Result<(Vec<ItemView>, Option<i64>)> {
        let (rows, next) = self.rows_page(who, filter, (ItemSeek::Id(after), limit), false)?;
        let views = rows
            .iter()
            .filter_map(|(set, chain)| {
                set.blueprint(&chain[0].blueprint)
                    .map(|b| Resolver { set, chain, who }.redact_view(view(&chain[0], b)))
            })
            .collect();
        let next = match next {
            Some(ItemSeek::Id(n)) => n,
            _ => None,
        };
        Ok((views, next))
    }

    /// A page of the statuses of the items the caller may read that match
    /// `filter`, in `seek`'s order, and where the next page starts.
    pub fn statuses_page(
        &mut self,
        who: &Identity,
        filter: &ItemFilter,
        seek: ItemSeek,
        limit: usize,
    ) -> Result<(Vec<StatusView>, Option<ItemSeek>)> {
        let now = self.now_or(None);
        let (rows, next) = self.rows_page(who, filter, (seek, limit), true)?;
        let statuses = rows
            .iter()
            .filter_map(|(set, chain)| {
                set.blueprint(&chain[0].blueprint).map(|b| {
                    Resolver { set, chain, who }.redact_status(status_of(set, b, chain, now))
                })
            })
            .collect();
        Ok((statuses, next))
    }
}

impl Engine {
    /// The reviews queued for `who` in `seek`'s order, at most `limit`
    /// (item, group) entries, as pending reviews at `now`.
    fn queued(
        &mut self,
        who: &Identity,
        seek: ReviewSeek,
        limit: usize,
        now: DateTime<Utc>,
    ) -> Result<Vec<PendingReview>> {
        let tx = self.store.read()?;
        let mut query = ReviewQuery {
            keys: keys_of(who),
            user: who.name.clone(),
            seek,
            limit: i64::try_from(limit).unwrap_or(i64::MAX),
        };
        // Entries of delegations that no longer count are dropped: read
        // again from the same place, further, until `limit` are left.
        loop {
            let queued = tx.queued_reviews(&query)?;
            let read = queued.len();
            let out = Self::pending_reviews(&mut self.cache, &tx, who, queued, now)?;
            if out.len() >= limit || i64::try_from(read).unwrap_or(i64::MAX) < query.limit {
                return Ok(out);
            }
            query.limit = query
                .limit
                .saturating_add(i64::try_from(read - out.len()).unwrap_or(i64::MAX));
        }
    }

    /// The entries of the review queue as pending reviews at `now`, but
    /// those whose item is gone or whose delegation no longer counts.
    fn pending_reviews(
        cache: &mut crate::engine::set_cache::SetCache,
        tx: &crate::store::Tx<'_>,
        who: &Identity,
        queued: Vec<QueuedReview>,
        now: DateTime<Utc>,
    ) -> Result<Vec<PendingReview>> {
        let mut out = Vec::new();
        for QueuedReview {
            item,
            group,
            due_at,
        } in queued
        {
            let Some(row) = tx.item(item)? else {
                continue;
            };
            let (Some(step), Some(state)) = (
                row.step.clone(),
                row.step.as_ref().and_then(|s| row.signoffs.get(s)),
            ) else {
                continue;
            };
            // The index keys a delegate by name; whether the delegation
            // counts is re-derived through its delegator, as when acting.
            // The index does not resolve `not PRINCIPALS` (group membership
            // is not in it): those entries are decided again too, and so
            // are those of an escalated clock (its targets are told even
            // where they may not act).
            let delegated = state
                .delegations
                .iter()
                .any(|d| d.group == group && d.to == who.name);
            let set = cache.get(tx, &row.blueprint, row.version)?;
            let spec = set
                .blueprint(&row.blueprint)
                .and_then(|b| b.step(&step)?.signoff.as_ref());
            let excluding = spec
                .and_then(|spec| crate::engine::exclusions::exclusions_of(spec, &group))
                .is_some_and(|e| !e.principals.is_empty());
            let timezone = spec
                .and_then(|spec| crate::engine::rules::sla::level_of(spec, &group))
                .map(|l| l.calendar.timezone);
            if delegated || excluding || state.escalated(&group) {
                out.extend(
                    Self::pending_of(cache, tx, who, &row, now)?
                        .into_iter()
                        .find(|p| p.group == group),
                );
                continue;
            }
            let due_at = due_at.and_then(|t| DateTime::from_timestamp(t, 0));
            out.push(PendingReview {
                item: row.id.to_string(),
                name: row.name.clone(),
                blueprint: row.blueprint.clone(),
                step,
                status: state.status,
                role: PendingReview::role_of(&group).into(),
                group,
                breached: due_at.is_some_and(|d| d <= now),
                timezone: due_at.and(timezone),
                due_at,
                escalated: false,
                watch_only: false,
            });
        }
        Ok(out)
    }

    /// Sign-offs waiting for `who`'s feedback or decision, most urgent
    /// first (by due time, those without an SLA last).
    pub fn reviews(&mut self, who: &Identity) -> Result<Vec<PendingReview>> {
        let (list, _) = self.reviews_by_due(who, None, usize::MAX)?;
        Ok(list)
    }

    /// A page of the sign-offs waiting for `who`, most urgent first: at
    /// most `limit` after the position `after` (due as stored, item,
    /// group), and where the next page starts.
    pub fn reviews_by_due(
        &mut self,
        who: &Identity,
        after: Option<ReviewPosition>,
        limit: usize,
    ) -> Result<(Vec<PendingReview>, Option<ReviewPosition>)> {
        let now = self.now_or(None);
        let mut list = self.queued(who, ReviewSeek::Due(after), limit.saturating_add(1), now)?;
        let more = list.len() > limit;
        list.truncate(limit);
        let next = list.last().filter(|_| more).map(|r| {
            (
                r.due_at
                    .map_or(crate::store::index::NO_DUE, |d| d.timestamp()),
                r.item.parse().unwrap_or(0),
                r.group.clone(),
            )
        });
        Ok((list, next))
    }

    /// The sign-offs waiting for `who` on items after `after`, by item, and
    /// the item to continue after. A page holds `limit` entries, or a few
    /// more to keep the entries of its last item together (an item has one
    /// per feedback group the caller reviews, or its final approval).
    pub fn reviews_page(
        &mut self,
        who: &Identity,
        after: Option<i64>,
        limit: usize,
        now: Option<DateTime<Utc>>,
    ) -> Result<(Vec<PendingReview>, Option<i64>)> {
        let now = self.now_or(now);
        let mut want = limit.saturating_add(16);
        loop {
            let list = self.queued(who, ReviewSeek::Item(after), want, now)?;
            let read_all = list.len() < want;
            // The first entry past `limit` that starts another item ends the page.
            let cut = (limit..list.len()).find(|&i| i > 0 && list[i].item != list[i - 1].item);
            match cut {
                Some(i) => {
                    let mut list = list;
                    list.truncate(i);
                    let next = list.last().and_then(|r| r.item.parse().ok());
                    return Ok((list, next));
                }
                None if read_all => return Ok((list, None)),
                None => want = want.saturating_mul(2),
            }
        }
    }
}

/// `INFRASTRUCTURE:VERDICT` (`prod:BLOCK`) as a deploy filter.
pub fn parse_deploy_filter(text: &str) -> std::result::Result<(String, String), String> {
    let Some((infra, verdict)) = text.split_once(':') else {
        return Err(format!("`{text}` is not INFRASTRUCTURE:VERDICT"));
    };
    let verdict = verdict.to_ascii_uppercase();
    if !["ALLOW", "CONFIRM", "BLOCK"].contains(&verdict.as_str()) {
        return Err(format!(
            "`{verdict}` is not a deploy verdict (ALLOW, CONFIRM or BLOCK)"
        ));
    }
    if infra.is_empty() {
        return Err(format!("`{text}` names no infrastructure"));
    }
    Ok((infra.to_string(), verdict))
}

impl Engine {
    /// Whether an item has children (the tree's link to them).
    pub fn has_children(&mut self, id: i64) -> Result<bool> {
        Ok(self.store.read()?.has_children(id)?)
    }
}
