//! Typed GitHub payloads: the events review bots, CI systems and GitHub
//! Apps use most, and the types they share ([`User`], [`Repository`],
//! [`Installation`]).
//!
//! Required fields are the ones GitHub's webhook schema marks required and
//! that every delivery of the event carries; everything else is an
//! `Option`, and unknown fields are ignored. Timestamps are the strings
//! GitHub sent. The full JSON stays available through
//! [`Payload::json`](super::Payload::json).
//!
//! ```
//! use tower_webhooks::{EventKind, GitHubEvent};
//! use tower_webhooks::payload::{Payload, github::PushEvent};
//!
//! let body = r#"{"ref": "refs/heads/main", "before": "a", "after": "b",
//!   "repository": {"id": 1, "name": "hello", "full_name": "octo/hello"},
//!   "commits": [{"id": "b", "message": "fix", "extra": true}]}"#;
//! let push: PushEvent = Payload::new(EventKind::GitHub(GitHubEvent::Push), None, body.into())
//!     .parse_typed()
//!     .unwrap();
//! assert_eq!(push.branch(), Some("main"));
//! assert_eq!(push.commits[0].message.as_deref(), Some("fix"));
//! ```

use serde::Deserialize;

use super::EventPayload;
use crate::event::{EventKind, GitHubEvent};

macro_rules! github_payload {
    ($name:ident, $($event:ident)|+, $description:literal) => {
        impl EventPayload for $name {
            const DESCRIPTION: &'static str = $description;

            fn accepts(kind: &EventKind) -> bool {
                matches!(kind, $(EventKind::GitHub(GitHubEvent::$event))|+)
            }
        }
    };
}

/// A GitHub account: a user, a bot or an organization (`sender`, `owner`,
/// `user`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct User {
    /// The login, e.g. `octocat` or `dependabot[bot]`.
    pub login: String,
    /// The numeric id.
    pub id: u64,
    /// The GraphQL node id.
    pub node_id: Option<String>,
    /// `User`, `Bot` or `Organization`.
    #[serde(rename = "type")]
    pub account_type: Option<String>,
    /// The profile page.
    pub html_url: Option<String>,
    /// The avatar image.
    pub avatar_url: Option<String>,
    /// Whether the account is a GitHub site administrator.
    pub site_admin: Option<bool>,
}

impl User {
    /// Whether the account is a bot (a GitHub App's or a `[bot]` login).
    pub fn is_bot(&self) -> bool {
        self.account_type.as_deref() == Some("Bot") || self.login.ends_with("[bot]")
    }
}

/// A repository, as most events carry it in `repository`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Repository {
    /// The numeric id.
    pub id: u64,
    /// The name, e.g. `Hello-World`.
    pub name: String,
    /// `owner/name`.
    pub full_name: String,
    /// The GraphQL node id.
    pub node_id: Option<String>,
    /// The owner.
    pub owner: Option<User>,
    /// Whether the repository is private.
    pub private: Option<bool>,
    /// Whether the repository is a fork.
    pub fork: Option<bool>,
    /// Whether the repository is archived.
    pub archived: Option<bool>,
    /// `public`, `private` or `internal`.
    pub visibility: Option<String>,
    /// The web page.
    pub html_url: Option<String>,
    /// The API URL.
    pub url: Option<String>,
    /// The HTTPS clone URL.
    pub clone_url: Option<String>,
    /// The SSH clone URL.
    pub ssh_url: Option<String>,
    /// The default branch, e.g. `main`.
    pub default_branch: Option<String>,
    /// The description.
    pub description: Option<String>,
}

/// The installation of a GitHub App: in `installation` of the
/// `installation` events in full, and as `{id, node_id}` in every event
/// delivered to an App.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Installation {
    /// The installation id, used to get an installation access token.
    pub id: u64,
    /// The GraphQL node id.
    pub node_id: Option<String>,
    /// The account the App is installed on.
    pub account: Option<User>,
    /// The App's id.
    pub app_id: Option<u64>,
    /// The App's slug.
    pub app_slug: Option<String>,
    /// `all` or `selected`.
    pub repository_selection: Option<String>,
    /// `User` or `Organization`.
    pub target_type: Option<String>,
    /// The events the installation subscribes to.
    pub events: Option<Vec<String>>,
    /// The installation's page.
    pub html_url: Option<String>,
}

/// An organization, sent with events of organization repositories.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Organization {
    /// The login.
    pub login: String,
    /// The numeric id.
    pub id: u64,
    /// The GraphQL node id.
    pub node_id: Option<String>,
}

/// A label on an issue or pull request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Label {
    /// The name.
    pub name: String,
    /// The numeric id.
    pub id: Option<u64>,
    /// The color, as hex without `#`.
    pub color: Option<String>,
    /// The description.
    pub description: Option<String>,
}

/// A branch end of a pull request (`head` or `base`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Branch {
    /// The branch name, e.g. `feature/x`.
    #[serde(rename = "ref")]
    pub branch: String,
    /// The commit the branch points at.
    pub sha: String,
    /// `owner:branch`.
    pub label: Option<String>,
    /// The owner of the branch's repository.
    pub user: Option<User>,
    /// The branch's repository (`null` when a fork was deleted).
    pub repo: Option<Repository>,
}

/// A pull request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct PullRequest {
    /// The numeric id.
    pub id: u64,
    /// The number in its repository.
    pub number: u64,
    /// The source branch.
    pub head: Branch,
    /// The target branch.
    pub base: Branch,
    /// `open` or `closed`.
    pub state: Option<String>,
    /// The title.
    pub title: Option<String>,
    /// The description.
    pub body: Option<String>,
    /// The author.
    pub user: Option<User>,
    /// Whether it is a draft.
    pub draft: Option<bool>,
    /// Whether it is locked.
    pub locked: Option<bool>,
    /// Whether it was merged.
    pub merged: Option<bool>,
    /// The merge commit, or the test merge commit while open.
    pub merge_commit_sha: Option<String>,
    /// Who merged it.
    pub merged_by: Option<User>,
    /// The web page.
    pub html_url: Option<String>,
    /// The API URL.
    pub url: Option<String>,
    /// The diff URL.
    pub diff_url: Option<String>,
    /// The labels.
    pub labels: Option<Vec<Label>>,
    /// The first assignee.
    pub assignee: Option<User>,
    /// The assignees.
    pub assignees: Option<Vec<User>>,
    /// The users asked for a review.
    pub requested_reviewers: Option<Vec<User>>,
    /// The author's association with the repository (`OWNER`, `CONTRIBUTOR`, ...).
    pub author_association: Option<String>,
    /// When it was opened.
    pub created_at: Option<String>,
    /// When it was last updated.
    pub updated_at: Option<String>,
    /// When it was closed.
    pub closed_at: Option<String>,
    /// When it was merged.
    pub merged_at: Option<String>,
    /// The number of commits.
    pub commits: Option<u64>,
    /// Lines added.
    pub additions: Option<u64>,
    /// Lines deleted.
    pub deletions: Option<u64>,
    /// Files changed.
    pub changed_files: Option<u64>,
}

/// `pull_request`: a pull request was opened, synchronized, closed, labeled, ...
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct PullRequestEvent {
    /// `opened`, `synchronize`, `reopened`, `closed`, `edited`, ...
    pub action: String,
    /// The pull request number.
    pub number: u64,
    /// The pull request.
    pub pull_request: PullRequest,
    /// The repository.
    pub repository: Repository,
    /// Who did it.
    pub sender: User,
    /// The App installation, for deliveries to a GitHub App.
    pub installation: Option<Installation>,
    /// The organization, for organization repositories.
    pub organization: Option<Organization>,
    /// `synchronize`: the head commit before the push.
    pub before: Option<String>,
    /// `synchronize`: the head commit after the push.
    pub after: Option<String>,
    /// `labeled` / `unlabeled`: the label.
    pub label: Option<Label>,
    /// `review_requested` / `review_request_removed`: the reviewer.
    pub requested_reviewer: Option<User>,
    /// `assigned` / `unassigned`: the assignee.
    pub assignee: Option<User>,
}
github_payload!(PullRequestEvent, PullRequest, "GitHub pull_request");

/// An author or committer of a pushed commit.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct GitActor {
    /// The name.
    pub name: Option<String>,
    /// The email address.
    pub email: Option<String>,
    /// The GitHub login, when the email belongs to an account.
    pub username: Option<String>,
}

/// A commit in a `push`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Commit {
    /// The commit SHA.
    pub id: String,
    /// The message.
    pub message: Option<String>,
    /// The commit time, as sent.
    pub timestamp: Option<String>,
    /// The tree SHA.
    pub tree_id: Option<String>,
    /// Whether this commit is new to the repository.
    pub distinct: Option<bool>,
    /// The web page.
    pub url: Option<String>,
    /// The author.
    pub author: Option<GitActor>,
    /// The committer.
    pub committer: Option<GitActor>,
    /// Paths added.
    pub added: Option<Vec<String>>,
    /// Paths removed.
    pub removed: Option<Vec<String>>,
    /// Paths modified.
    pub modified: Option<Vec<String>>,
}

/// `push`: commits were pushed to a branch or tag, or a ref was created or
/// deleted.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct PushEvent {
    /// The full ref, e.g. `refs/heads/main` or `refs/tags/v1`.
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// The ref's commit before the push (zeros when created).
    pub before: String,
    /// The ref's commit after the push (zeros when deleted).
    pub after: String,
    /// The repository.
    pub repository: Repository,
    /// The pushed commits (at most 2048; empty for a deletion).
    #[serde(default)]
    pub commits: Vec<Commit>,
    /// The commit the ref now points at.
    pub head_commit: Option<Commit>,
    /// Whether the push created the ref.
    pub created: Option<bool>,
    /// Whether the push deleted the ref.
    pub deleted: Option<bool>,
    /// Whether the push was forced.
    pub forced: Option<bool>,
    /// The base ref, for pushes of an existing commit to a new ref.
    pub base_ref: Option<String>,
    /// A compare URL for the push.
    pub compare: Option<String>,
    /// Who pushed (git identity).
    pub pusher: Option<GitActor>,
    /// Who pushed (GitHub account).
    pub sender: Option<User>,
    /// The App installation, for deliveries to a GitHub App.
    pub installation: Option<Installation>,
    /// The organization, for organization repositories.
    pub organization: Option<Organization>,
}
github_payload!(PushEvent, Push, "GitHub push");

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

/// An issue (or the issue side of a pull request).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Issue {
    /// The numeric id.
    pub id: u64,
    /// The number in its repository.
    pub number: u64,
    /// The title.
    pub title: Option<String>,
    /// The description.
    pub body: Option<String>,
    /// The author.
    pub user: Option<User>,
    /// `open` or `closed`.
    pub state: Option<String>,
    /// Whether it is locked.
    pub locked: Option<bool>,
    /// The labels.
    pub labels: Option<Vec<Label>>,
    /// The first assignee.
    pub assignee: Option<User>,
    /// The assignees.
    pub assignees: Option<Vec<User>>,
    /// The web page.
    pub html_url: Option<String>,
    /// Present when the issue is a pull request: its URLs.
    pub pull_request: Option<serde_json::Value>,
    /// When it was opened.
    pub created_at: Option<String>,
    /// When it was last updated.
    pub updated_at: Option<String>,
}

impl Issue {
    /// Whether this issue is a pull request (comments on pull requests
    /// arrive as `issue_comment`).
    pub fn is_pull_request(&self) -> bool {
        self.pull_request.as_ref().is_some_and(|v| !v.is_null())
    }
}

/// A comment on an issue or pull request conversation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Comment {
    /// The numeric id.
    pub id: u64,
    /// The text.
    pub body: Option<String>,
    /// The author.
    pub user: Option<User>,
    /// The author's association with the repository.
    pub author_association: Option<String>,
    /// The web page.
    pub html_url: Option<String>,
    /// When it was written.
    pub created_at: Option<String>,
    /// When it was last edited.
    pub updated_at: Option<String>,
}

/// `issue_comment`: a comment on an issue or a pull request conversation
/// was created, edited or deleted.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct IssueCommentEvent {
    /// `created`, `edited` or `deleted`.
    pub action: String,
    /// The issue (or pull request).
    pub issue: Issue,
    /// The comment.
    pub comment: Comment,
    /// The repository.
    pub repository: Repository,
    /// Who did it.
    pub sender: User,
    /// The App installation, for deliveries to a GitHub App.
    pub installation: Option<Installation>,
    /// The organization, for organization repositories.
    pub organization: Option<Organization>,
}
github_payload!(IssueCommentEvent, IssueComment, "GitHub issue_comment");

/// A pull request review.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Review {
    /// The numeric id.
    pub id: u64,
    /// `approved`, `changes_requested`, `commented`, `dismissed`, ...
    pub state: Option<String>,
    /// The review text.
    pub body: Option<String>,
    /// The reviewer.
    pub user: Option<User>,
    /// The commit reviewed.
    pub commit_id: Option<String>,
    /// When it was submitted.
    pub submitted_at: Option<String>,
    /// The web page.
    pub html_url: Option<String>,
    /// The reviewer's association with the repository.
    pub author_association: Option<String>,
}

/// `pull_request_review`: a review was submitted, edited or dismissed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct PullRequestReviewEvent {
    /// `submitted`, `edited` or `dismissed`.
    pub action: String,
    /// The review.
    pub review: Review,
    /// The pull request.
    pub pull_request: PullRequest,
    /// The repository.
    pub repository: Repository,
    /// Who did it.
    pub sender: User,
    /// The App installation, for deliveries to a GitHub App.
    pub installation: Option<Installation>,
    /// The organization, for organization repositories.
    pub organization: Option<Organization>,
}
github_payload!(
    PullRequestReviewEvent,
    PullRequestReview,
    "GitHub pull_request_review"
);

/// A comment on a pull request's diff.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ReviewComment {
    /// The numeric id.
    pub id: u64,
    /// The text.
    pub body: Option<String>,
    /// The file the comment is on.
    pub path: Option<String>,
    /// The line in the diff's new version.
    pub line: Option<u64>,
    /// The first line of a multi-line comment.
    pub start_line: Option<u64>,
    /// `LEFT` or `RIGHT`.
    pub side: Option<String>,
    /// The commit the comment is on.
    pub commit_id: Option<String>,
    /// The diff hunk around the comment.
    pub diff_hunk: Option<String>,
    /// The comment this one answers.
    pub in_reply_to_id: Option<u64>,
    /// The review the comment belongs to.
    pub pull_request_review_id: Option<u64>,
    /// The author.
    pub user: Option<User>,
    /// The web page.
    pub html_url: Option<String>,
    /// When it was written.
    pub created_at: Option<String>,
    /// When it was last edited.
    pub updated_at: Option<String>,
}

/// `pull_request_review_comment`: a diff comment was created, edited or
/// deleted.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct PullRequestReviewCommentEvent {
    /// `created`, `edited` or `deleted`.
    pub action: String,
    /// The comment.
    pub comment: ReviewComment,
    /// The pull request.
    pub pull_request: PullRequest,
    /// The repository.
    pub repository: Repository,
    /// Who did it.
    pub sender: User,
    /// The App installation, for deliveries to a GitHub App.
    pub installation: Option<Installation>,
    /// The organization, for organization repositories.
    pub organization: Option<Organization>,
}
github_payload!(
    PullRequestReviewCommentEvent,
    PullRequestReviewComment,
    "GitHub pull_request_review_comment"
);

/// A repository in the `installation` events: only its names.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct InstallationRepository {
    /// The numeric id.
    pub id: u64,
    /// The name.
    pub name: String,
    /// `owner/name`.
    pub full_name: String,
    /// The GraphQL node id.
    pub node_id: Option<String>,
    /// Whether the repository is private.
    pub private: Option<bool>,
}

/// `installation`: a GitHub App was installed, uninstalled, suspended, or
/// its permissions changed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct InstallationEvent {
    /// `created`, `deleted`, `suspend`, `unsuspend`, `new_permissions_accepted`.
    pub action: String,
    /// The installation.
    pub installation: Installation,
    /// The repositories the installation can access (`created` with
    /// selected repositories).
    pub repositories: Option<Vec<InstallationRepository>>,
    /// Who asked for the installation, when it was requested.
    pub requester: Option<User>,
    /// Who did it.
    pub sender: User,
}
github_payload!(InstallationEvent, Installation, "GitHub installation");

/// `installation_repositories`: repositories were added to or removed from
/// an installation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct InstallationRepositoriesEvent {
    /// `added` or `removed`.
    pub action: String,
    /// The installation.
    pub installation: Installation,
    /// `all` or `selected`.
    pub repository_selection: Option<String>,
    /// The repositories added.
    #[serde(default)]
    pub repositories_added: Vec<InstallationRepository>,
    /// The repositories removed.
    #[serde(default)]
    pub repositories_removed: Vec<InstallationRepository>,
    /// Who asked for the change, when it was requested.
    pub requester: Option<User>,
    /// Who did it.
    pub sender: User,
}
github_payload!(
    InstallationRepositoriesEvent,
    InstallationRepositories,
    "GitHub installation_repositories"
);

/// A GitHub App, as check runs and suites name it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct App {
    /// The numeric id.
    pub id: u64,
    /// The slug.
    pub slug: Option<String>,
    /// The name.
    pub name: Option<String>,
    /// The GraphQL node id.
    pub node_id: Option<String>,
}

/// A branch end in a check's pull request: ref and SHA only.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct CheckRef {
    /// The branch name.
    #[serde(rename = "ref")]
    pub branch: String,
    /// The commit SHA.
    pub sha: String,
}

/// A pull request a check run or suite belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct CheckPullRequest {
    /// The numeric id.
    pub id: u64,
    /// The number in its repository.
    pub number: u64,
    /// The source branch.
    pub head: Option<CheckRef>,
    /// The target branch.
    pub base: Option<CheckRef>,
    /// The API URL.
    pub url: Option<String>,
}

/// A check suite.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct CheckSuite {
    /// The numeric id.
    pub id: u64,
    /// The commit checked.
    pub head_sha: Option<String>,
    /// The branch checked.
    pub head_branch: Option<String>,
    /// `queued`, `in_progress`, `completed`, ...
    pub status: Option<String>,
    /// `success`, `failure`, `neutral`, `cancelled`, ... when completed.
    pub conclusion: Option<String>,
    /// The head commit before the push that created the suite.
    pub before: Option<String>,
    /// The head commit after that push.
    pub after: Option<String>,
    /// The App the suite belongs to.
    pub app: Option<App>,
    /// The pull requests of the head branch.
    pub pull_requests: Option<Vec<CheckPullRequest>>,
    /// When it was created.
    pub created_at: Option<String>,
    /// When it was last updated.
    pub updated_at: Option<String>,
}

/// A check run.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct CheckRun {
    /// The numeric id.
    pub id: u64,
    /// The commit checked.
    pub head_sha: String,
    /// The check's name.
    pub name: Option<String>,
    /// `queued`, `in_progress`, `completed`, ...
    pub status: Option<String>,
    /// `success`, `failure`, `neutral`, `cancelled`, ... when completed.
    pub conclusion: Option<String>,
    /// The integrator's id for the run.
    pub external_id: Option<String>,
    /// The integrator's page for the run.
    pub details_url: Option<String>,
    /// The web page.
    pub html_url: Option<String>,
    /// When it started.
    pub started_at: Option<String>,
    /// When it completed.
    pub completed_at: Option<String>,
    /// The suite it belongs to.
    pub check_suite: Option<CheckSuite>,
    /// The App that created it.
    pub app: Option<App>,
    /// The pull requests of the checked branch.
    pub pull_requests: Option<Vec<CheckPullRequest>>,
}

/// The button a user pressed on a check run (`requested_action`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct RequestedAction {
    /// The integrator's identifier of the action.
    pub identifier: String,
}

/// `check_run`: a check run was created, completed, re-requested, or a
/// user asked for one of its actions.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct CheckRunEvent {
    /// `created`, `completed`, `rerequested` or `requested_action`.
    pub action: String,
    /// The check run.
    pub check_run: CheckRun,
    /// `requested_action`: what the user asked for.
    pub requested_action: Option<RequestedAction>,
    /// The repository.
    pub repository: Repository,
    /// Who did it.
    pub sender: User,
    /// The App installation, for deliveries to a GitHub App.
    pub installation: Option<Installation>,
    /// The organization, for organization repositories.
    pub organization: Option<Organization>,
}
github_payload!(CheckRunEvent, CheckRun, "GitHub check_run");

/// `check_suite`: a check suite was requested, re-requested or completed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct CheckSuiteEvent {
    /// `requested`, `rerequested` or `completed`.
    pub action: String,
    /// The check suite.
    pub check_suite: CheckSuite,
    /// The repository.
    pub repository: Repository,
    /// Who did it.
    pub sender: User,
    /// The App installation, for deliveries to a GitHub App.
    pub installation: Option<Installation>,
    /// The organization, for organization repositories.
    pub organization: Option<Organization>,
}
github_payload!(CheckSuiteEvent, CheckSuite, "GitHub check_suite");

/// A webhook's configuration, as `ping` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct HookConfig {
    /// `json` or `form`.
    pub content_type: Option<String>,
    /// The payload URL.
    pub url: Option<String>,
}

/// The webhook a `ping` is about.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Hook {
    /// The hook id.
    pub id: u64,
    /// `Repository`, `Organization`, `App`, ...
    #[serde(rename = "type")]
    pub hook_type: Option<String>,
    /// Always `web`.
    pub name: Option<String>,
    /// Whether the hook is active.
    pub active: Option<bool>,
    /// The events it subscribes to (`*` for all).
    pub events: Option<Vec<String>>,
    /// Its configuration.
    pub config: Option<HookConfig>,
    /// For GitHub App hooks: the App id.
    pub app_id: Option<u64>,
}

/// `ping`: sent once when a webhook is created.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct PingEvent {
    /// A random line of GitHub zen.
    pub zen: Option<String>,
    /// The hook id.
    pub hook_id: Option<u64>,
    /// The hook.
    pub hook: Option<Hook>,
    /// The repository, for repository hooks.
    pub repository: Option<Repository>,
    /// The organization, for organization hooks.
    pub organization: Option<Organization>,
    /// Who created the hook.
    pub sender: Option<User>,
}
github_payload!(PingEvent, Ping, "GitHub ping");
