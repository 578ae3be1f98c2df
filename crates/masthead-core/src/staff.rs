//! Staff roles and what each may do in the newsroom. `can` is the one
//! permission rule: every desk route and every API operation asks it, so
//! the desk and the API cannot disagree about who may do what.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Contributor,
    Author,
    Editor,
    Administrator,
    Owner,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::Owner, Role::Administrator, Role::Editor, Role::Author, Role::Contributor];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Administrator => "administrator",
            Role::Editor => "editor",
            Role::Author => "author",
            Role::Contributor => "contributor",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Administrator => "Administrator",
            Role::Editor => "Editor",
            Role::Author => "Author",
            Role::Contributor => "Contributor",
        }
    }
}

/// Something a staff member may try to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// See the desk and the article list.
    ViewDesk,
    /// Read an article's draft, revisions and previews.
    ViewArticle,
    /// Start a new article (always as a draft).
    CreateArticle,
    /// Change an article that readers cannot see yet (draft).
    EditDraft,
    /// Change an article that is published or scheduled: what readers see.
    EditLive,
    /// Publish, schedule or unpublish.
    Publish,
    DeleteArticle,
    UploadMedia,
    /// Authors, topics, regions and sections.
    ManageTaxonomy,
    /// The numbers: funnel, subscribers, revenue, most read.
    ViewNumbers,
    ManagePlans,
    /// Site settings and the paywall.
    ManageSettings,
    /// Invite, change and remove staff.
    ManageStaff,
    /// Readers: search, profile, complimentary access, export, erasure.
    ManageMembers,
    /// The audit log.
    ViewAudit,
    /// API keys and outgoing webhooks.
    ManageIntegrations,
    /// Newsletters: their settings, editions, test sends and sending.
    ManageNewsletters,
    /// The weekly magazine: proposing, curating and publishing issues.
    ManageMagazine,
}

impl Action {
    pub const ALL: [Action; 18] = [
        Action::ViewDesk,
        Action::ViewArticle,
        Action::CreateArticle,
        Action::EditDraft,
        Action::EditLive,
        Action::Publish,
        Action::DeleteArticle,
        Action::UploadMedia,
        Action::ManageTaxonomy,
        Action::ViewNumbers,
        Action::ManagePlans,
        Action::ManageSettings,
        Action::ManageStaff,
        Action::ManageMembers,
        Action::ViewAudit,
        Action::ManageIntegrations,
        Action::ManageNewsletters,
        Action::ManageMagazine,
    ];

    /// The API token scope an operation of this kind needs. A staff token
    /// can do what its scopes *and* its owner's role both allow.
    pub fn scope(self) -> Scope {
        match self {
            Action::ViewDesk | Action::ViewArticle => Scope::ArticlesRead,
            Action::CreateArticle | Action::EditDraft | Action::EditLive | Action::DeleteArticle | Action::UploadMedia => {
                Scope::ArticlesWrite
            }
            Action::Publish => Scope::ArticlesPublish,
            Action::ManageTaxonomy => Scope::TaxonomyWrite,
            Action::ManageMembers => Scope::MembersRead,
            Action::ViewNumbers
            | Action::ManagePlans
            | Action::ManageSettings
            | Action::ManageStaff
            | Action::ViewAudit
            | Action::ManageIntegrations
            | Action::ManageNewsletters
            | Action::ManageMagazine => Scope::Admin,
        }
    }
}

/// Whose article an action is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ownership {
    /// The action is not about one article.
    NotApplicable,
    /// The actor started the article.
    Own,
    /// Someone else's.
    Others,
}

/// The permission rule.
///
/// - contributors draft (their own drafts only) and cannot publish;
/// - authors also publish, edit and delete their own articles;
/// - editors do that for every article, and keep authors, topics, regions
///   and sections, and watch the numbers;
/// - administrators also manage plans, settings, staff, members, the audit
///   log and integrations; owners may do everything.
pub fn can(role: Role, action: Action, ownership: Ownership) -> bool {
    use Action::*;
    use Role::*;
    let own = ownership == Ownership::Own;
    match action {
        ViewDesk | ViewArticle | CreateArticle | UploadMedia => true,
        EditDraft => role >= Editor || own,
        EditLive | Publish | DeleteArticle => role >= Editor || (role == Author && own),
        ManageTaxonomy | ViewNumbers | ManageNewsletters | ManageMagazine => role >= Editor,
        ManagePlans | ManageSettings | ManageStaff | ManageMembers | ViewAudit | ManageIntegrations => role >= Administrator,
    }
}

/// Whether `actor` may give `target` (now `current`, or a new invitee when
/// None) the role `new`: only staff managers, never above their own role,
/// and only an owner may change an owner.
pub fn can_assign(actor: Role, current: Option<Role>, new: Role) -> bool {
    can(actor, Action::ManageStaff, Ownership::NotApplicable)
        && new <= actor
        && current.is_none_or(|c| c <= actor && (c != Role::Owner || actor == Role::Owner))
}

/// What an API token may be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Scope {
    #[serde(rename = "articles:read")]
    ArticlesRead,
    #[serde(rename = "articles:write")]
    ArticlesWrite,
    #[serde(rename = "articles:publish")]
    ArticlesPublish,
    #[serde(rename = "taxonomy:write")]
    TaxonomyWrite,
    #[serde(rename = "members:read")]
    MembersRead,
    #[serde(rename = "admin")]
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 6] =
        [Scope::ArticlesRead, Scope::ArticlesWrite, Scope::ArticlesPublish, Scope::TaxonomyWrite, Scope::MembersRead, Scope::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::ArticlesRead => "articles:read",
            Scope::ArticlesWrite => "articles:write",
            Scope::ArticlesPublish => "articles:publish",
            Scope::TaxonomyWrite => "taxonomy:write",
            Scope::MembersRead => "members:read",
            Scope::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Parses a space- or comma-separated list; unknown names are errors.
    pub fn parse_list(s: &str) -> Result<Vec<Scope>, String> {
        let mut out = Vec::new();
        for name in s.split(|c: char| c == ',' || c.is_whitespace()).filter(|n| !n.is_empty()) {
            let scope = Scope::parse(name).ok_or_else(|| format!("unknown scope \"{name}\""))?;
            if !out.contains(&scope) {
                out.push(scope);
            }
        }
        out.sort();
        Ok(out)
    }

    pub fn join(scopes: &[Scope]) -> String {
        scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;
    use Ownership::*;

    #[test]
    fn contributors_draft_but_never_publish() {
        let r = Role::Contributor;
        assert!(can(r, CreateArticle, NotApplicable));
        assert!(can(r, EditDraft, Own));
        assert!(!can(r, EditDraft, Others));
        assert!(!can(r, EditLive, Own));
        assert!(!can(r, Publish, Own));
        assert!(!can(r, DeleteArticle, Own));
        assert!(!can(r, ManageTaxonomy, NotApplicable));
    }

    #[test]
    fn authors_publish_their_own_and_editors_any() {
        assert!(can(Role::Author, Publish, Own));
        assert!(!can(Role::Author, Publish, Others));
        assert!(!can(Role::Author, EditDraft, Others));
        assert!(can(Role::Editor, Publish, Others));
        assert!(can(Role::Editor, EditLive, Others));
        assert!(can(Role::Editor, ManageTaxonomy, NotApplicable));
        assert!(!can(Role::Editor, ManageStaff, NotApplicable));
        assert!(!can(Role::Editor, ManageMembers, NotApplicable));
        for a in [ManageNewsletters, ManageMagazine] {
            assert!(can(Role::Editor, a, NotApplicable));
            assert!(!can(Role::Author, a, NotApplicable), "{a:?}: authors write, editors send and curate");
        }
    }

    #[test]
    fn administrators_run_the_business_side() {
        for a in [ManagePlans, ManageSettings, ManageStaff, ManageMembers, ViewAudit, ManageIntegrations] {
            assert!(can(Role::Administrator, a, NotApplicable));
            assert!(can(Role::Owner, a, NotApplicable));
            assert!(!can(Role::Editor, a, NotApplicable));
        }
    }

    #[test]
    fn more_senior_roles_can_do_everything_junior_ones_can() {
        let roles = [Role::Contributor, Role::Author, Role::Editor, Role::Administrator, Role::Owner];
        for w in roles.windows(2) {
            for a in Action::ALL {
                for o in [NotApplicable, Own, Others] {
                    assert!(!can(w[0], a, o) || can(w[1], a, o), "{:?} may {a:?} {o:?} but {:?} may not", w[0], w[1]);
                }
            }
        }
    }

    #[test]
    fn roles_are_assigned_no_higher_than_ones_own() {
        assert!(can_assign(Role::Owner, None, Role::Owner));
        assert!(can_assign(Role::Administrator, None, Role::Editor));
        assert!(can_assign(Role::Administrator, Some(Role::Editor), Role::Administrator));
        assert!(!can_assign(Role::Administrator, None, Role::Owner));
        assert!(!can_assign(Role::Administrator, Some(Role::Owner), Role::Editor));
        assert!(!can_assign(Role::Editor, None, Role::Contributor));
    }

    #[test]
    fn scopes_parse_and_join() {
        assert_eq!(Scope::parse_list("articles:write, articles:read articles:read").unwrap(), vec![Scope::ArticlesRead, Scope::ArticlesWrite]);
        assert!(Scope::parse_list("articles:nuke").is_err());
        assert_eq!(Scope::join(&[Scope::ArticlesRead, Scope::Admin]), "articles:read admin");
    }
}
