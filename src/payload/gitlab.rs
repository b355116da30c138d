//! Typed GitLab payloads: `Merge Request Hook`, `Push Hook`, `Tag Push
//! Hook`, `Note Hook` and `Pipeline Hook`, and the types they share
//! ([`User`], [`Project`], [`Commit`], ...).
//!
//! GitLab adds and drops fields between releases, so only the fields every
//! documented version sends are required; everything else is an `Option`,
//! and unknown fields are ignored. Timestamps are the strings GitLab sent
//! (its examples are not always valid RFC 3339). The full JSON stays
//! available through [`Payload::json`](super::Payload::json).
//!
//! ```
//! use tower_webhooks::{EventKind, GitLabEvent};
//! use tower_webhooks::payload::{Payload, gitlab::MergeRequestEvent};
//!
//! let body = r#"{"object_kind": "merge_request",
//!   "user": {"name": "Alex", "username": "alex"},
//!   "project": {"id": 2, "name": "app", "web_url": "https://gitlab.example.com/g/app",
//!               "path_with_namespace": "g/app"},
//!   "object_attributes": {"id": 93, "iid": 16, "title": "Validate input",
//!     "source_branch": "feature", "target_branch": "main", "action": "open"}}"#;
//! let payload = Payload::new(EventKind::GitLab(GitLabEvent::MergeRequest), None, body.into());
//! assert_eq!(payload.action(), Some("open"));
//! let mr: MergeRequestEvent = payload.parse_typed().unwrap();
//! assert_eq!(mr.object_attributes.iid, 16);
//! ```

use std::ops::Deref;

use serde::Deserialize;
use serde_json::Value;

use super::EventPayload;
use crate::event::{EventKind, GitLabEvent};

macro_rules! gitlab_payload {
    ($name:ident, $($event:ident)|+, $description:literal) => {
        impl EventPayload for $name {
            const DESCRIPTION: &'static str = $description;

            fn accepts(kind: &EventKind) -> bool {
                matches!(kind, $(EventKind::GitLab(GitLabEvent::$event))|+)
            }
        }
    };
}

/// A GitLab user (`user`, `assignees`, `reviewers`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct User {
    /// The display name.
    pub name: String,
    /// The username.
    pub username: String,
    /// The numeric id (absent in some nested objects).
    pub id: Option<u64>,
    /// The avatar image.
    pub avatar_url: Option<String>,
    /// The email address (often `[REDACTED]`).
    pub email: Option<String>,
}

/// A project (`project`, and a merge request's `source` and `target`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Project {
    /// The name.
    pub name: String,
    /// The web page.
    pub web_url: String,
    /// `group/subgroup/project`.
    pub path_with_namespace: String,
    /// The numeric id (absent in the `source`/`target` of some hooks).
    pub id: Option<u64>,
    /// The description.
    pub description: Option<String>,
    /// The namespace's display name.
    pub namespace: Option<String>,
    /// 0 private, 10 internal, 20 public.
    pub visibility_level: Option<u64>,
    /// The default branch.
    pub default_branch: Option<String>,
    /// The SSH clone URL.
    pub git_ssh_url: Option<String>,
    /// The HTTP clone URL.
    pub git_http_url: Option<String>,
    /// The avatar image.
    pub avatar_url: Option<String>,
    /// The CI configuration path, when not the default.
    pub ci_config_path: Option<String>,
}

/// The legacy `repository` object some hooks still send beside `project`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Repository {
    /// The name.
    pub name: String,
    /// A clone URL.
    pub url: Option<String>,
    /// The description.
    pub description: Option<String>,
    /// The web page.
    pub homepage: Option<String>,
}

/// A commit author.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Author {
    /// The name.
    pub name: Option<String>,
    /// The email address.
    pub email: Option<String>,
}

/// A commit (in a push, a merge request's `last_commit`, a pipeline, a note).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Commit {
    /// The commit SHA.
    pub id: String,
    /// The message.
    pub message: Option<String>,
    /// The first line of the message.
    pub title: Option<String>,
    /// The commit time, as sent.
    pub timestamp: Option<String>,
    /// The web page.
    pub url: Option<String>,
    /// The author.
    pub author: Option<Author>,
    /// Paths added.
    pub added: Option<Vec<String>>,
    /// Paths modified.
    pub modified: Option<Vec<String>>,
    /// Paths removed.
    pub removed: Option<Vec<String>>,
}

/// A label.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Label {
    /// The title.
    pub title: String,
    /// The numeric id.
    pub id: Option<u64>,
    /// The color, e.g. `#adb21a`.
    pub color: Option<String>,
    /// The description.
    pub description: Option<String>,
    /// `ProjectLabel` or `GroupLabel`.
    #[serde(rename = "type")]
    pub label_type: Option<String>,
}

/// A merge request's attributes (`object_attributes` of a `Merge Request
/// Hook`, `merge_request` of a `Note Hook`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct MergeRequest {
    /// The numeric id.
    pub id: u64,
    /// The number in its project (`!16`).
    pub iid: u64,
    /// The title.
    pub title: String,
    /// The source branch.
    pub source_branch: String,
    /// The target branch.
    pub target_branch: String,
    /// `open`, `close`, `reopen`, `update`, `approved`, `unapproved`,
    /// `approval`, `unapproval`, `merge` (only in `Merge Request Hook`).
    pub action: Option<String>,
    /// `opened`, `closed`, `merged`, `locked`.
    pub state: Option<String>,
    /// The description.
    pub description: Option<String>,
    /// The source project's id.
    pub source_project_id: Option<u64>,
    /// The target project's id.
    pub target_project_id: Option<u64>,
    /// The author's id.
    pub author_id: Option<u64>,
    /// Whether it is a draft.
    pub draft: Option<bool>,
    /// The legacy draft flag.
    pub work_in_progress: Option<bool>,
    /// `unchecked`, `checking`, `can_be_merged`, `cannot_be_merged`, ...
    pub merge_status: Option<String>,
    /// The detailed merge status.
    pub detailed_merge_status: Option<String>,
    /// `update` with new commits: the previous head commit.
    pub oldrev: Option<String>,
    /// The last commit of the source branch.
    pub last_commit: Option<Commit>,
    /// The source project.
    pub source: Option<Project>,
    /// The target project.
    pub target: Option<Project>,
    /// The head pipeline's id.
    pub head_pipeline_id: Option<u64>,
    /// The merge commit, once merged.
    pub merge_commit_sha: Option<String>,
    /// The labels.
    pub labels: Option<Vec<Label>>,
    /// The assignees' ids.
    pub assignee_ids: Option<Vec<u64>>,
    /// The reviewers' ids.
    pub reviewer_ids: Option<Vec<u64>>,
    /// The web page.
    pub url: Option<String>,
    /// When it was opened.
    pub created_at: Option<String>,
    /// When it was last updated.
    pub updated_at: Option<String>,
}

/// `Merge Request Hook`: a merge request was opened, updated, merged, ...
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct MergeRequestEvent {
    /// `merge_request`.
    pub object_kind: String,
    /// Who did it.
    pub user: User,
    /// The project.
    pub project: Project,
    /// The merge request.
    pub object_attributes: MergeRequest,
    /// `merge_request`.
    pub event_type: Option<String>,
    /// The labels.
    pub labels: Option<Vec<Label>>,
    /// What changed: `{field: {previous, current}}`.
    pub changes: Option<Value>,
    /// The assignees.
    pub assignees: Option<Vec<User>>,
    /// The reviewers.
    pub reviewers: Option<Vec<User>>,
    /// The legacy repository object.
    pub repository: Option<Repository>,
}
gitlab_payload!(MergeRequestEvent, MergeRequest, "GitLab Merge Request Hook");

impl MergeRequestEvent {
    /// Whether an `update` brought new commits (GitLab sends `oldrev` then),
    /// as opposed to a change of title, labels, ...
    pub fn has_new_commits(&self) -> bool {
        self.object_attributes.oldrev.is_some()
    }
}

/// `Push Hook`: commits were pushed to a branch (or a branch was created
/// or deleted).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct PushEvent {
    /// `push` or `tag_push`.
    pub object_kind: String,
    /// The full ref, e.g. `refs/heads/main`.
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// The ref's commit before the push (zeros when created).
    pub before: String,
    /// The ref's commit after the push (zeros when deleted).
    pub after: String,
    /// The project.
    pub project: Project,
    /// The pushed commits (at most 20; see `total_commits_count`).
    #[serde(default)]
    pub commits: Vec<Commit>,
    /// `push` or `tag_push`.
    pub event_name: Option<String>,
    /// The commit checked out after the push.
    pub checkout_sha: Option<String>,
    /// Whether the ref is protected.
    pub ref_protected: Option<bool>,
    /// The tag message, for annotated tags.
    pub message: Option<String>,
    /// The pusher's id.
    pub user_id: Option<u64>,
    /// The pusher's name.
    pub user_name: Option<String>,
    /// The pusher's username.
    pub user_username: Option<String>,
    /// The pusher's email.
    pub user_email: Option<String>,
    /// The pusher's avatar.
    pub user_avatar: Option<String>,
    /// The project's id.
    pub project_id: Option<u64>,
    /// The number of commits pushed, also beyond those listed.
    pub total_commits_count: Option<u64>,
    /// `git push -o` options.
    pub push_options: Option<Value>,
    /// The legacy repository object.
    pub repository: Option<Repository>,
}
gitlab_payload!(PushEvent, Push, "GitLab Push Hook");

impl PushEvent {
    /// The branch name, when a branch was pushed.
    pub fn branch(&self) -> Option<&str> {
        self.git_ref.strip_prefix("refs/heads/")
    }

    /// The tag name, when a tag was pushed.
    pub fn tag(&self) -> Option<&str> {
        self.git_ref.strip_prefix("refs/tags/")
    }
}

/// `Tag Push Hook`: a tag was created or deleted. The same shape as a
/// [`PushEvent`], which it dereferences to.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct TagPushEvent(pub PushEvent);
gitlab_payload!(TagPushEvent, TagPush, "GitLab Tag Push Hook");

impl Deref for TagPushEvent {
    type Target = PushEvent;

    fn deref(&self) -> &PushEvent {
        &self.0
    }
}

/// A comment's attributes (`object_attributes` of a `Note Hook`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Note {
    /// The numeric id.
    pub id: u64,
    /// The text.
    pub note: String,
    /// `MergeRequest`, `Issue`, `Commit` or `Snippet`.
    pub noteable_type: String,
    /// `create` or `update`.
    pub action: Option<String>,
    /// The id of the commented object.
    pub noteable_id: Option<u64>,
    /// The author's id.
    pub author_id: Option<u64>,
    /// The project's id.
    pub project_id: Option<u64>,
    /// The commented commit, for commit comments.
    pub commit_id: Option<String>,
    /// Whether GitLab wrote it (a system note).
    pub system: Option<bool>,
    /// Whether it is internal (confidential).
    pub internal: Option<bool>,
    /// The diff position, for diff comments.
    pub position: Option<Value>,
    /// The discussion it belongs to.
    pub discussion_id: Option<String>,
    /// The web page.
    pub url: Option<String>,
    /// When it was written.
    pub created_at: Option<String>,
    /// When it was last edited.
    pub updated_at: Option<String>,
}

/// An issue, as a `Note Hook` on an issue carries it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Issue {
    /// The numeric id.
    pub id: u64,
    /// The number in its project (`#3`).
    pub iid: u64,
    /// The title.
    pub title: Option<String>,
    /// The description.
    pub description: Option<String>,
    /// `opened` or `closed`.
    pub state: Option<String>,
    /// The web page.
    pub url: Option<String>,
}

/// `Note Hook` (and `Confidential Note Hook`): a comment on a merge
/// request, issue, commit or snippet.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct NoteEvent {
    /// `note`.
    pub object_kind: String,
    /// Who commented.
    pub user: User,
    /// The project.
    pub project: Project,
    /// The comment.
    pub object_attributes: Note,
    /// `note` or `confidential_note`.
    pub event_type: Option<String>,
    /// The project's id.
    pub project_id: Option<u64>,
    /// The merge request, for merge request comments.
    pub merge_request: Option<MergeRequest>,
    /// The issue, for issue comments.
    pub issue: Option<Issue>,
    /// The commit, for commit comments.
    pub commit: Option<Commit>,
    /// The snippet, for snippet comments.
    pub snippet: Option<Value>,
    /// The legacy repository object.
    pub repository: Option<Repository>,
}
gitlab_payload!(
    NoteEvent,
    Note | ConfidentialNote,
    "GitLab Note Hook or Confidential Note Hook"
);

/// A pipeline's attributes (`object_attributes` of a `Pipeline Hook`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Pipeline {
    /// The numeric id.
    pub id: u64,
    /// The ref the pipeline ran for.
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// The commit it ran for.
    pub sha: String,
    /// `created`, `pending`, `running`, `success`, `failed`, `canceled`, ...
    pub status: String,
    /// The number in its project.
    pub iid: Option<u64>,
    /// The pipeline's name.
    pub name: Option<String>,
    /// Whether the ref is a tag.
    pub tag: Option<bool>,
    /// The commit before the push that started it.
    pub before_sha: Option<String>,
    /// `push`, `merge_request_event`, `schedule`, `web`, ...
    pub source: Option<String>,
    /// The status shown in the UI, e.g. `passed`.
    pub detailed_status: Option<String>,
    /// The stage names.
    pub stages: Option<Vec<String>>,
    /// When it was created.
    pub created_at: Option<String>,
    /// When it finished.
    pub finished_at: Option<String>,
    /// How long it ran, in seconds.
    pub duration: Option<f64>,
    /// How long it queued, in seconds.
    pub queued_duration: Option<f64>,
    /// The web page.
    pub url: Option<String>,
}

/// The merge request a merge request pipeline ran for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct PipelineMergeRequest {
    /// The numeric id.
    pub id: u64,
    /// The number in its project.
    pub iid: u64,
    /// The title.
    pub title: Option<String>,
    /// The source branch.
    pub source_branch: Option<String>,
    /// The source project's id.
    pub source_project_id: Option<u64>,
    /// The target branch.
    pub target_branch: Option<String>,
    /// The target project's id.
    pub target_project_id: Option<u64>,
    /// `opened`, `closed`, `merged`, `locked`.
    pub state: Option<String>,
    /// The detailed merge status.
    pub detailed_merge_status: Option<String>,
    /// The web page.
    pub url: Option<String>,
}

/// A job of a pipeline (`builds`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Build {
    /// The numeric id.
    pub id: u64,
    /// The job's name.
    pub name: Option<String>,
    /// The job's stage.
    pub stage: Option<String>,
    /// `created`, `pending`, `running`, `success`, `failed`, `skipped`, ...
    pub status: Option<String>,
    /// Why it failed.
    pub failure_reason: Option<String>,
    /// Whether it may fail without failing the pipeline.
    pub allow_failure: Option<bool>,
    /// Whether it is a manual job.
    pub manual: Option<bool>,
    /// When it was created.
    pub created_at: Option<String>,
    /// When it started.
    pub started_at: Option<String>,
    /// When it finished.
    pub finished_at: Option<String>,
    /// How long it ran, in seconds.
    pub duration: Option<f64>,
    /// Who started it.
    pub user: Option<User>,
}

/// `Pipeline Hook`: a pipeline's status changed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct PipelineEvent {
    /// `pipeline`.
    pub object_kind: String,
    /// The pipeline.
    pub object_attributes: Pipeline,
    /// The project.
    pub project: Project,
    /// Who started it.
    pub user: Option<User>,
    /// The merge request, for merge request pipelines.
    pub merge_request: Option<PipelineMergeRequest>,
    /// The commit it ran for.
    pub commit: Option<Commit>,
    /// The jobs.
    pub builds: Option<Vec<Build>>,
    /// The upstream pipeline, for downstream pipelines.
    pub source_pipeline: Option<Value>,
}
gitlab_payload!(PipelineEvent, Pipeline, "GitLab Pipeline Hook");
