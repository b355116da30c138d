//! [`Event`]: what the layer learned about a verified delivery, and the typed
//! event kinds.

use std::fmt;
use std::sync::Arc;

/// Which sender a delivery came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Provider {
    /// github.com, a GitHub App, GitHub Enterprise Server or GHE.com.
    GitHub,
    /// gitlab.com or a self-hosted GitLab instance.
    GitLab,
}

impl Provider {
    /// `"github"` or `"gitlab"`: the name used in logs and reason texts.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::GitHub => "github",
            Self::GitLab => "gitlab",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! event_names {
    (
        $(#[$meta:meta])*
        $name:ident { $( $variant:ident => $wire:literal, )* }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $(
                #[doc = concat!("`", $wire, "`")]
                $variant,
            )*
            /// An event name this version does not know. It is verified and
            /// handed on like any other.
            Other(String),
        }

        impl $name {
            /// The event named by the header value `name`; unknown names
            /// become [`Other`](Self::Other).
            pub fn from_header(name: &str) -> Self {
                match name {
                    $( $wire => Self::$variant, )*
                    other => Self::Other(other.to_owned()),
                }
            }

            /// The name as the header carries it.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )*
                    Self::Other(name) => name,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

event_names! {
    /// A GitHub event, from the `X-GitHub-Event` header.
    ///
    /// ```
    /// use tower_webhooks::GitHubEvent;
    ///
    /// assert_eq!(GitHubEvent::from_header("pull_request"), GitHubEvent::PullRequest);
    /// assert_eq!(GitHubEvent::from_header("brand_new").as_str(), "brand_new");
    /// ```
    GitHubEvent {
        BranchProtectionConfiguration => "branch_protection_configuration",
        BranchProtectionRule => "branch_protection_rule",
        CheckRun => "check_run",
        CheckSuite => "check_suite",
        CodeScanningAlert => "code_scanning_alert",
        CommitComment => "commit_comment",
        Create => "create",
        CustomProperty => "custom_property",
        CustomPropertyValues => "custom_property_values",
        Delete => "delete",
        DependabotAlert => "dependabot_alert",
        DeployKey => "deploy_key",
        Deployment => "deployment",
        DeploymentProtectionRule => "deployment_protection_rule",
        DeploymentReview => "deployment_review",
        DeploymentStatus => "deployment_status",
        Discussion => "discussion",
        DiscussionComment => "discussion_comment",
        Fork => "fork",
        GithubAppAuthorization => "github_app_authorization",
        Gollum => "gollum",
        Installation => "installation",
        InstallationRepositories => "installation_repositories",
        InstallationTarget => "installation_target",
        IssueComment => "issue_comment",
        Issues => "issues",
        Label => "label",
        MarketplacePurchase => "marketplace_purchase",
        Member => "member",
        Membership => "membership",
        MergeGroup => "merge_group",
        Meta => "meta",
        Milestone => "milestone",
        OrgBlock => "org_block",
        Organization => "organization",
        Package => "package",
        PageBuild => "page_build",
        PersonalAccessTokenRequest => "personal_access_token_request",
        Ping => "ping",
        Project => "project",
        ProjectCard => "project_card",
        ProjectColumn => "project_column",
        ProjectsV2 => "projects_v2",
        ProjectsV2Item => "projects_v2_item",
        ProjectsV2StatusUpdate => "projects_v2_status_update",
        Public => "public",
        PullRequest => "pull_request",
        PullRequestReview => "pull_request_review",
        PullRequestReviewComment => "pull_request_review_comment",
        PullRequestReviewThread => "pull_request_review_thread",
        Push => "push",
        RegistryPackage => "registry_package",
        Release => "release",
        Repository => "repository",
        RepositoryAdvisory => "repository_advisory",
        RepositoryDispatch => "repository_dispatch",
        RepositoryImport => "repository_import",
        RepositoryRuleset => "repository_ruleset",
        RepositoryVulnerabilityAlert => "repository_vulnerability_alert",
        SecretScanningAlert => "secret_scanning_alert",
        SecretScanningAlertLocation => "secret_scanning_alert_location",
        SecretScanningScan => "secret_scanning_scan",
        SecurityAdvisory => "security_advisory",
        SecurityAndAnalysis => "security_and_analysis",
        Sponsorship => "sponsorship",
        Star => "star",
        Status => "status",
        SubIssues => "sub_issues",
        Team => "team",
        TeamAdd => "team_add",
        Watch => "watch",
        WorkflowDispatch => "workflow_dispatch",
        WorkflowJob => "workflow_job",
        WorkflowRun => "workflow_run",
    }
}

event_names! {
    /// A GitLab event, from the `X-Gitlab-Event` header.
    ///
    /// ```
    /// use tower_webhooks::GitLabEvent;
    ///
    /// assert_eq!(GitLabEvent::from_header("Merge Request Hook"), GitLabEvent::MergeRequest);
    /// ```
    GitLabEvent {
        Push => "Push Hook",
        TagPush => "Tag Push Hook",
        MergeRequest => "Merge Request Hook",
        Note => "Note Hook",
        Issue => "Issue Hook",
        ConfidentialIssue => "Confidential Issue Hook",
        ConfidentialNote => "Confidential Note Hook",
        Pipeline => "Pipeline Hook",
        Job => "Job Hook",
        WikiPage => "Wiki Page Hook",
        Deployment => "Deployment Hook",
        Release => "Release Hook",
        FeatureFlag => "Feature Flag Hook",
        Emoji => "Emoji Hook",
        Milestone => "Milestone Hook",
        ResourceAccessToken => "Resource Access Token Hook",
        Vulnerability => "Vulnerability Hook",
        Member => "Member Hook",
        Project => "Project Hook",
        Subgroup => "Subgroup Hook",
        System => "System Hook",
    }
}

/// The typed event name of a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventKind {
    /// A GitHub event.
    GitHub(GitHubEvent),
    /// A GitLab event.
    GitLab(GitLabEvent),
}

impl EventKind {
    /// The event name as its header carries it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::GitHub(e) => e.as_str(),
            Self::GitLab(e) => e.as_str(),
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A verified delivery: who sent it, what it is, and which key proved it.
///
/// The layer puts one in the request extensions of every request it hands
/// on; [`Verifier`](crate::Verifier) returns one for custom servers. It holds
/// no secret.
///
/// ```
/// # use tower_webhooks::{Event, Provider, GitHubEvent};
/// fn describe(event: &Event) -> String {
///     match event.github_event() {
///         Some(GitHubEvent::PullRequest) => format!("PR delivery {:?}", event.delivery()),
///         _ => format!("{} {}", event.provider(), event.kind()),
///     }
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub(crate) kind: EventKind,
    pub(crate) delivery: Option<String>,
    pub(crate) hook_id: Option<String>,
    pub(crate) instance: Option<String>,
    pub(crate) key: Arc<str>,
    pub(crate) details: Details,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Details {
    GitHub(GitHubDetails),
    GitLab(GitLabDetails),
}

impl Event {
    /// Which sender the delivery came from.
    pub fn provider(&self) -> Provider {
        match self.kind {
            EventKind::GitHub(_) => Provider::GitHub,
            EventKind::GitLab(_) => Provider::GitLab,
        }
    }

    /// The typed event name.
    pub fn kind(&self) -> &EventKind {
        &self.kind
    }

    /// The event name as its header carried it, e.g. `pull_request` or
    /// `Merge Request Hook`.
    pub fn name(&self) -> &str {
        self.kind.as_str()
    }

    /// The GitHub event, when the delivery came from GitHub.
    pub fn github_event(&self) -> Option<&GitHubEvent> {
        match &self.kind {
            EventKind::GitHub(e) => Some(e),
            EventKind::GitLab(_) => None,
        }
    }

    /// The GitLab event, when the delivery came from GitLab.
    pub fn gitlab_event(&self) -> Option<&GitLabEvent> {
        match &self.kind {
            EventKind::GitLab(e) => Some(e),
            EventKind::GitHub(_) => None,
        }
    }

    /// The delivery id: `X-GitHub-Delivery` for GitHub; for GitLab
    /// `webhook-id`, else `Idempotency-Key`, else `X-Gitlab-Event-UUID`.
    /// Redeliveries reuse it.
    pub fn delivery(&self) -> Option<&str> {
        self.delivery.as_deref()
    }

    /// The hook id: `X-GitHub-Hook-ID` for GitHub; `X-Gitlab-Webhook-UUID`
    /// for GitLab.
    pub fn hook_id(&self) -> Option<&str> {
        self.hook_id.as_deref()
    }

    /// Where the delivery came from beyond the provider's public service: the
    /// normalized GitLab instance origin (`https://gitlab.example.com`), the
    /// GitHub Enterprise Server host, or the GHE.com tenant.
    pub fn instance(&self) -> Option<&str> {
        self.instance.as_deref()
    }

    /// The label of the key that verified the delivery (see
    /// [`KeyRing`](crate::KeyRing)). Never the key itself.
    pub fn key_label(&self) -> &str {
        &self.key
    }

    /// GitHub-only header metadata.
    pub fn github(&self) -> Option<&GitHubDetails> {
        match &self.details {
            Details::GitHub(d) => Some(d),
            Details::GitLab(_) => None,
        }
    }

    /// GitLab-only header metadata.
    pub fn gitlab(&self) -> Option<&GitLabDetails> {
        match &self.details {
            Details::GitLab(d) => Some(d),
            Details::GitHub(_) => None,
        }
    }
}

/// Header metadata only GitHub sends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct GitHubDetails {
    /// `X-GitHub-Hook-Installation-Target-Type`: `repository`,
    /// `organization`, `integration`, ...
    pub installation_target_type: Option<String>,
    /// `X-GitHub-Hook-Installation-Target-ID`.
    pub installation_target_id: Option<String>,
    /// `X-GitHub-Enterprise-Host`, for GitHub Enterprise Server.
    pub enterprise_host: Option<String>,
    /// `X-GitHub-Enterprise-Version`, for GitHub Enterprise Server.
    pub enterprise_version: Option<String>,
    /// `X-Github-Tenant`, for GHE.com.
    pub tenant: Option<String>,
}

/// Header metadata only GitLab sends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct GitLabDetails {
    /// `X-Gitlab-Event-UUID`: shared by recursive webhooks of one event.
    pub event_uuid: Option<String>,
    /// `Idempotency-Key`: stable across retries of one delivery.
    pub idempotency_key: Option<String>,
    /// `X-Gitlab-Webhook-UUID`: the hook.
    pub webhook_uuid: Option<String>,
    /// `webhook-id`, sent by GitLab 19 and later (equals `Idempotency-Key`).
    pub webhook_id: Option<String>,
    /// `webhook-timestamp` (Unix seconds), sent by GitLab 19 and later.
    pub webhook_timestamp: Option<i64>,
}
