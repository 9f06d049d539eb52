//! Authorisation, in one place. Every use case names the [`Action`] it performs
//! and calls [`authorize`] before it reads or writes anything.

use domain::account::Role;
use domain::application::Producer;
use domain::ids::{OrganisationId, UserId};
use domain::organisation::MemberRole;
use store::memberships::Membership;

use crate::Error;

/// The person acting, as loaded for this request (never cached across requests:
/// a removed member loses access at once).
#[derive(Clone, Debug)]
pub struct Actor {
    pub id: UserId,
    pub name: String,
    pub role: Role,
    pub membership: Option<Membership>,
    /// Registered as 个人 (an individual applicant without an organisation).
    pub individual: bool,
    pub must_change_password: bool,
    /// Signed in with a personal API token: what the token allows. `None` for a session,
    /// which may do all its person may.
    pub scopes: Option<Scopes>,
    system: bool,
}

impl Actor {
    pub(crate) fn from_user(
        user: &store::users::UserRecord,
        membership: Option<Membership>,
        individual: bool,
    ) -> Actor {
        Actor {
            id: user.id,
            name: user.name.clone(),
            role: user.role,
            membership,
            individual,
            must_change_password: user.must_change_password,
            scopes: None,
            system: false,
        }
    }

    /// The same person, limited to what a personal API token allows.
    pub(crate) fn with_scopes(self, scopes: Scopes) -> Actor {
        Actor {
            scopes: Some(scopes),
            ..self
        }
    }

    /// The operator at the command line (`certdesk admin …`): acts as an admin and
    /// is recorded in the audit log without a user id.
    pub fn system() -> Actor {
        Actor {
            id: UserId::new(),
            name: "system".into(),
            role: Role::Admin,
            membership: None,
            individual: false,
            must_change_password: false,
            scopes: None,
            system: true,
        }
    }

    /// The id to record in the audit log.
    pub(crate) fn audit_id(&self) -> Option<UserId> {
        (!self.system).then_some(self.id)
    }

    pub fn organisation(&self) -> Option<OrganisationId> {
        self.membership.as_ref().map(|m| m.organisation_id)
    }

    pub fn is_org_admin(&self) -> bool {
        self.membership
            .as_ref()
            .is_some_and(|m| m.role == MemberRole::Admin)
    }
}

/// What a personal API token may be used for. Each scope opens a few actions, and only
/// to the person who holds the token: a token never does more than its person may.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// 证书: one's certificates, their details and downloads.
    Certificates,
    /// 制证: an approved order's production with one's own key (the USB-key tool's `enroll`).
    Production,
    /// 申请: one's orders, started and filled in (the tool's `read` prefills 信息变更).
    Applications,
    /// 绑定CA: binding a certificate one holds to one's account.
    Binding,
}

impl Scope {
    pub const ALL: [Scope; 4] = [
        Scope::Certificates,
        Scope::Production,
        Scope::Applications,
        Scope::Binding,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Certificates => "certificates",
            Scope::Production => "production",
            Scope::Applications => "applications",
            Scope::Binding => "binding",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Whether this scope opens the action (the role rules still apply after it).
    fn opens(self, action: Action) -> bool {
        match self {
            Scope::Certificates => matches!(
                action,
                Action::ListOwnCertificates | Action::ViewCertificate(_)
            ),
            Scope::Production => matches!(
                action,
                Action::ViewApplication(_)
                    | Action::ViewQueue
                    | Action::ProduceApplication(..)
                    | Action::ProduceCertificate
                    | Action::ListOwnCertificates
                    | Action::ViewCertificate(_)
            ),
            Scope::Applications => matches!(
                action,
                Action::Apply
                    | Action::ViewApplication(_)
                    | Action::EditApplication(_)
                    | Action::ListOwnCertificates
                    | Action::ViewCertificate(_)
            ),
            Scope::Binding => matches!(action, Action::ManageBindings | Action::BindCertificate(_)),
        }
    }
}

/// A set of [`Scope`]s.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Scopes(u8);

impl Scopes {
    pub fn contains(self, scope: Scope) -> bool {
        self.0 & (1 << scope as u8) != 0
    }

    pub fn insert(&mut self, scope: Scope) {
        self.0 |= 1 << scope as u8;
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.into_iter().filter(move |s| self.contains(*s))
    }

    /// Space-separated names, as stored.
    pub fn to_text(self) -> String {
        self.iter().map(Scope::as_str).collect::<Vec<_>>().join(" ")
    }

    /// Parses stored or typed names; `None` when one is unknown.
    pub fn parse<'a>(names: impl IntoIterator<Item = &'a str>) -> Option<Scopes> {
        let mut scopes = Scopes::default();
        for name in names {
            scopes.insert(Scope::parse(name)?);
        }
        Some(scopes)
    }

    fn open(self, action: Action) -> bool {
        // Saying who one is needs no scope.
        action == Action::ViewDashboard || self.iter().any(|s| s.opens(action))
    }
}

impl FromIterator<Scope> for Scopes {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Scopes {
        let mut scopes = Scopes::default();
        for s in iter {
            scopes.insert(s);
        }
        scopes
    }
}

/// Whose an application is: its organisation's, or an individual applicant's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Owner {
    pub organisation: Option<OrganisationId>,
    pub applicant: UserId,
}

impl Owner {
    fn is(&self, actor: &Actor) -> bool {
        match self.organisation {
            Some(org) => actor.organisation() == Some(org),
            None => actor.individual && actor.id == self.applicant,
        }
    }
}

/// Whose a certificate is (证书管理): its organisation's, or for a certificate of no
/// organisation, the individual holding it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CertificateOwner {
    pub organisation: Option<OrganisationId>,
    pub holder: Option<UserId>,
}

impl CertificateOwner {
    fn is(&self, actor: &Actor) -> bool {
        match self.organisation {
            Some(org) => actor.organisation() == Some(org),
            None => actor.individual && self.holder == Some(actor.id),
        }
    }
}

/// Everything a signed-in person can ask to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    ViewDashboard,
    ChangeOwnPassword,
    SignOut,
    ViewOrganisation(OrganisationId),
    EditOrganisation(OrganisationId),
    ViewMembers(OrganisationId),
    ManageMembers(OrganisationId),
    SearchOrganisations,
    ManageUsers,
    /// Fee schedule, procedures, required documents, service points, linked platforms,
    /// holidays, and reading the mail outbox.
    Configure,
    /// 新增申请: an organisation's member or an individual.
    Apply,
    /// See an application, its documents, history and payment.
    ViewApplication(Owner),
    /// Save, submit, upload, pay or withdraw: the owner only.
    EditApplication(Owner),
    /// 初审 / 终审: approve, return, reject.
    Review,
    /// 代办事宜 and the staff order list, its export.
    ViewQueue,
    /// Read and mark one's own notifications.
    ViewNotifications,
    /// Look up issued certificates (staff; 证书管理 will refine this).
    ViewCertificates,
    /// 制证: have the CA issue a certificate.
    ProduceCertificate,
    /// Revoke a certificate (注销, 补办, 信息变更, key compromise).
    RevokeCertificate,
    /// Create the CA, renew its OCSP responder, regenerate its CRL by hand.
    ManageCa,
    /// 制证 of an application at its produce step: by an operator at the service desk, or
    /// online by its applicant with their own key (延期, 信息变更, 年检), as the step says.
    ProduceApplication(Producer, Owner),
    /// 发货 (carrier and tracking number) and 领取 (hand-over with the 领取码).
    Deliver,
    /// 确认收货: a mailed key arrived, said by its applicant or by an operator.
    ConfirmReceipt(Owner),
    /// 证书管理: the list of one's own certificates (an organisation's members, individuals).
    ListOwnCertificates,
    /// A certificate's details and downloads: its owner, and staff.
    ViewCertificate(CertificateOwner),
    /// 新增平台 and starting 延期 / 补办 / 信息变更 / 注销 / 年检 from it: its owner only.
    ManageCertificate(CertificateOwner),
    /// The staff's certificate search (by serial, organisation, USCC, holder).
    SearchCertificates,
    /// Read the certificate profiles (admins).
    ViewCaProfiles,
    /// Generate, regenerate or revoke a linked platform's API key (互联互通).
    ManagePlatformKeys,
    /// The finance desk's lists: payments, refunds, alerts, the daily statement.
    ViewPayments,
    /// Ask again for a failed refund; resolve an alert about a notification.
    ManagePayments,
    /// 开票信息: ask for an order's invoice, or change the request until it is issued: the owner.
    RequestInvoice(Owner),
    /// An order's invoice and its PDF: the owner, and finance and admins.
    ViewInvoice(Owner),
    /// 发票管理: the list of one's own invoices (an organisation's members, individuals).
    ListOwnInvoices,
    /// Finance's invoice desk: the queue, issuing (number, date, PDF), 已寄出 / 已领取.
    IssueInvoice,
    /// 个人令牌: one's own personal API tokens (a session only, never a token).
    ManageApiTokens,
    /// 绑定CA / 解除绑定: the list of certificates bound to one's own account, asking for a
    /// binding, ending one.
    ManageBindings,
    /// 绑定CA: binding this certificate (whose key signed the challenge) to one's account:
    /// a certificate of one's organisation, or one's own as an individual.
    BindCertificate(CertificateOwner),
}

pub fn authorize(actor: &Actor, action: Action) -> Result<(), Error> {
    if actor.must_change_password && !matches!(action, Action::ChangeOwnPassword | Action::SignOut)
    {
        return Err(Error::PasswordChangeRequired);
    }
    if let Some(scopes) = actor.scopes
        && !scopes.open(action)
    {
        return Err(Error::Forbidden);
    }
    let in_org = |org: OrganisationId| actor.organisation() == Some(org);
    let allowed = match action {
        Action::ViewDashboard | Action::ChangeOwnPassword | Action::SignOut => true,
        Action::ViewOrganisation(org) | Action::ViewMembers(org) => {
            in_org(org) || actor.role.is_staff()
        }
        Action::EditOrganisation(org) | Action::ManageMembers(org) => {
            in_org(org) && actor.is_org_admin()
        }
        Action::SearchOrganisations => actor.role.is_staff(),
        Action::ManageUsers | Action::Configure => actor.role == Role::Admin,
        Action::Apply => {
            actor.role == Role::Applicant && (actor.membership.is_some() || actor.individual)
        }
        Action::ViewApplication(owner) => {
            (actor.role == Role::Applicant && owner.is(actor)) || actor.role.is_staff()
        }
        Action::EditApplication(owner) => actor.role == Role::Applicant && owner.is(actor),
        Action::Review => matches!(actor.role, Role::Reviewer | Role::Admin),
        Action::ViewQueue => actor.role.is_staff(),
        Action::ViewNotifications => !actor.system,
        Action::ViewCertificates => actor.role.is_staff(),
        Action::ProduceCertificate | Action::RevokeCertificate => {
            matches!(actor.role, Role::Operator | Role::Admin)
        }
        Action::ManageCa => actor.role == Role::Admin,
        Action::ProduceApplication(Producer::Operator, _) | Action::Deliver => {
            matches!(actor.role, Role::Operator | Role::Admin)
        }
        Action::ProduceApplication(Producer::Applicant, owner) => {
            actor.role == Role::Applicant && owner.is(actor)
        }
        Action::ConfirmReceipt(owner) => {
            (actor.role == Role::Applicant && owner.is(actor))
                || matches!(actor.role, Role::Operator | Role::Admin)
        }
        Action::ListOwnCertificates => {
            actor.role == Role::Applicant && (actor.membership.is_some() || actor.individual)
        }
        Action::ViewCertificate(owner) => {
            (actor.role == Role::Applicant && owner.is(actor)) || actor.role.is_staff()
        }
        Action::ManageCertificate(owner) => actor.role == Role::Applicant && owner.is(actor),
        Action::SearchCertificates => actor.role.is_staff(),
        Action::ViewCaProfiles => actor.role == Role::Admin,
        Action::ManagePlatformKeys => actor.role == Role::Admin,
        Action::ViewPayments | Action::ManagePayments => {
            matches!(actor.role, Role::Finance | Role::Admin)
        }
        Action::RequestInvoice(owner) => actor.role == Role::Applicant && owner.is(actor),
        Action::ViewInvoice(owner) => {
            (actor.role == Role::Applicant && owner.is(actor))
                || matches!(actor.role, Role::Finance | Role::Admin)
        }
        Action::ListOwnInvoices => {
            actor.role == Role::Applicant && (actor.membership.is_some() || actor.individual)
        }
        Action::IssueInvoice => matches!(actor.role, Role::Finance | Role::Admin),
        Action::ManageApiTokens | Action::ManageBindings => !actor.system,
        Action::BindCertificate(owner) => !actor.system && owner.is(actor),
    };
    if allowed {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, membership: Option<(OrganisationId, MemberRole)>) -> Actor {
        Actor {
            id: UserId::new(),
            name: "x".into(),
            role,
            membership: membership.map(|(organisation_id, role)| Membership {
                organisation_id,
                role,
            }),
            individual: false,
            must_change_password: false,
            scopes: None,
            system: false,
        }
    }

    #[test]
    fn a_token_does_what_its_scopes_open_and_its_person_may() {
        let org = OrganisationId::new();
        let owner = Owner {
            organisation: Some(org),
            applicant: UserId::new(),
        };
        let member = actor(Role::Applicant, Some((org, MemberRole::Member)));
        let production = member
            .clone()
            .with_scopes([Scope::Production].into_iter().collect());
        assert!(authorize(&production, Action::ViewApplication(owner)).is_ok());
        assert!(
            authorize(
                &production,
                Action::ProduceApplication(Producer::Applicant, owner)
            )
            .is_ok()
        );
        // Not what its scope opens, though the person may.
        assert!(authorize(&production, Action::EditApplication(owner)).is_err());
        assert!(authorize(&production, Action::ManageApiTokens).is_err());
        assert!(authorize(&production, Action::ManageBindings).is_err());
        // Not what the person may, though the scope opens it.
        assert!(
            authorize(
                &production,
                Action::ProduceApplication(Producer::Operator, owner)
            )
            .is_err()
        );
        let all = member.with_scopes(Scope::ALL.into_iter().collect());
        assert!(authorize(&all, Action::ManageApiTokens).is_err());
        assert!(authorize(&all, Action::ChangeOwnPassword).is_err());
        assert!(authorize(&all, Action::ViewDashboard).is_ok());
        let scopes = Scopes::parse("binding production".split(' ')).expect("known scopes");
        assert_eq!(scopes.to_text(), "production binding");
        assert_eq!(Scopes::parse(["everything"]), None);
    }

    #[test]
    fn only_finance_and_admins_work_the_finance_desk() {
        let org = OrganisationId::new();
        for role in [Role::Finance, Role::Admin] {
            assert!(authorize(&actor(role, None), Action::ViewPayments).is_ok());
            assert!(authorize(&actor(role, None), Action::ManagePayments).is_ok());
        }
        for who in [
            actor(Role::Reviewer, None),
            actor(Role::Operator, None),
            actor(Role::Applicant, Some((org, MemberRole::Admin))),
        ] {
            assert!(authorize(&who, Action::ViewPayments).is_err());
            assert!(authorize(&who, Action::ManagePayments).is_err());
        }
    }

    #[test]
    fn organisation_rules() {
        let org = OrganisationId::new();
        let other = OrganisationId::new();
        let admin = actor(Role::Applicant, Some((org, MemberRole::Admin)));
        let member = actor(Role::Applicant, Some((org, MemberRole::Member)));
        let reviewer = actor(Role::Reviewer, None);
        let outsider = actor(Role::Applicant, None);

        assert!(authorize(&admin, Action::ManageMembers(org)).is_ok());
        assert!(authorize(&admin, Action::ManageMembers(other)).is_err());
        assert!(authorize(&member, Action::ViewMembers(org)).is_ok());
        assert!(authorize(&member, Action::ManageMembers(org)).is_err());
        assert!(authorize(&member, Action::EditOrganisation(org)).is_err());
        assert!(authorize(&reviewer, Action::ViewOrganisation(org)).is_ok());
        assert!(authorize(&reviewer, Action::EditOrganisation(org)).is_err());
        assert!(authorize(&outsider, Action::ViewOrganisation(org)).is_err());
        assert!(authorize(&outsider, Action::SearchOrganisations).is_err());
    }

    #[test]
    fn applications_belong_to_their_organisation_or_individual() {
        let org = OrganisationId::new();
        let member = actor(Role::Applicant, Some((org, MemberRole::Member)));
        let colleague = actor(Role::Applicant, Some((org, MemberRole::Admin)));
        let outsider = actor(
            Role::Applicant,
            Some((OrganisationId::new(), MemberRole::Admin)),
        );
        let mut person = actor(Role::Applicant, None);
        person.individual = true;
        let mut other_person = actor(Role::Applicant, None);
        other_person.individual = true;
        let orgs = Owner {
            organisation: Some(org),
            applicant: member.id,
        };
        let own = Owner {
            organisation: None,
            applicant: person.id,
        };

        assert!(authorize(&member, Action::EditApplication(orgs)).is_ok());
        assert!(authorize(&colleague, Action::EditApplication(orgs)).is_ok());
        assert!(authorize(&outsider, Action::ViewApplication(orgs)).is_err());
        assert!(authorize(&person, Action::ViewApplication(orgs)).is_err());
        assert!(authorize(&person, Action::EditApplication(own)).is_ok());
        assert!(authorize(&other_person, Action::ViewApplication(own)).is_err());
        assert!(authorize(&member, Action::ViewApplication(own)).is_err());
        for role in [Role::Reviewer, Role::Operator, Role::Finance, Role::Admin] {
            let staff = actor(role, None);
            assert!(authorize(&staff, Action::ViewApplication(orgs)).is_ok());
            assert!(authorize(&staff, Action::EditApplication(orgs)).is_err());
            assert!(authorize(&staff, Action::Apply).is_err());
        }
        assert!(authorize(&actor(Role::Reviewer, None), Action::Review).is_ok());
        assert!(authorize(&actor(Role::Operator, None), Action::Review).is_err());
        assert!(authorize(&member, Action::Review).is_err());
        assert!(authorize(&member, Action::ViewQueue).is_err());
        assert!(authorize(&actor(Role::Applicant, None), Action::Apply).is_err());
    }

    #[test]
    fn only_admins_manage_users() {
        for role in Role::ALL {
            let ok = authorize(&actor(role, None), Action::ManageUsers).is_ok();
            assert_eq!(ok, role == Role::Admin, "{role}");
        }
        assert!(authorize(&Actor::system(), Action::ManageUsers).is_ok());
    }

    #[test]
    fn operators_and_admins_produce_and_revoke_only_admins_manage_the_ca() {
        for role in Role::ALL {
            let a = actor(role, None);
            let staff_ca = matches!(role, Role::Operator | Role::Admin);
            assert_eq!(
                authorize(&a, Action::ProduceCertificate).is_ok(),
                staff_ca,
                "{role}"
            );
            assert_eq!(
                authorize(&a, Action::RevokeCertificate).is_ok(),
                staff_ca,
                "{role}"
            );
            assert_eq!(
                authorize(&a, Action::ManageCa).is_ok(),
                role == Role::Admin,
                "{role}"
            );
        }
        let org_admin = actor(
            Role::Applicant,
            Some((OrganisationId::new(), MemberRole::Admin)),
        );
        assert!(authorize(&org_admin, Action::ProduceCertificate).is_err());
        assert!(authorize(&Actor::system(), Action::ManageCa).is_ok());
    }

    #[test]
    fn certificates_belong_to_their_organisation_or_individual_holder() {
        let org = OrganisationId::new();
        let member = actor(Role::Applicant, Some((org, MemberRole::Member)));
        let outsider = actor(
            Role::Applicant,
            Some((OrganisationId::new(), MemberRole::Admin)),
        );
        let mut person = actor(Role::Applicant, None);
        person.individual = true;
        let orgs = CertificateOwner {
            organisation: Some(org),
            holder: Some(person.id),
        };
        let own = CertificateOwner {
            organisation: None,
            holder: Some(person.id),
        };
        assert!(authorize(&member, Action::ViewCertificate(orgs)).is_ok());
        assert!(authorize(&member, Action::ManageCertificate(orgs)).is_ok());
        assert!(authorize(&outsider, Action::ViewCertificate(orgs)).is_err());
        // Holding an organisation's certificate is not owning it.
        assert!(authorize(&person, Action::ViewCertificate(orgs)).is_err());
        assert!(authorize(&person, Action::ManageCertificate(own)).is_ok());
        assert!(authorize(&member, Action::ViewCertificate(own)).is_err());
        for role in [Role::Reviewer, Role::Operator, Role::Finance, Role::Admin] {
            let staff = actor(role, None);
            assert!(authorize(&staff, Action::ViewCertificate(orgs)).is_ok());
            assert!(authorize(&staff, Action::SearchCertificates).is_ok());
            assert!(authorize(&staff, Action::ManageCertificate(orgs)).is_err());
            assert!(authorize(&staff, Action::ListOwnCertificates).is_err());
            assert_eq!(
                authorize(&staff, Action::ViewCaProfiles).is_ok(),
                role == Role::Admin
            );
        }
        assert!(authorize(&member, Action::SearchCertificates).is_err());
        assert!(authorize(&member, Action::ListOwnCertificates).is_ok());
        assert!(authorize(&actor(Role::Applicant, None), Action::ListOwnCertificates).is_err());
    }

    #[test]
    fn the_produce_step_says_who_produces_and_only_operators_deliver() {
        let org = OrganisationId::new();
        let owner = Owner {
            organisation: Some(org),
            applicant: UserId::new(),
        };
        let member = actor(Role::Applicant, Some((org, MemberRole::Member)));
        let outsider = actor(
            Role::Applicant,
            Some((OrganisationId::new(), MemberRole::Admin)),
        );
        for role in Role::ALL {
            let a = actor(role, None);
            let desk = matches!(role, Role::Operator | Role::Admin);
            let at_desk = Action::ProduceApplication(Producer::Operator, owner);
            assert_eq!(authorize(&a, at_desk).is_ok(), desk, "{role}");
            assert_eq!(authorize(&a, Action::Deliver).is_ok(), desk, "{role}");
            let receipt = Action::ConfirmReceipt(owner);
            assert_eq!(authorize(&a, receipt).is_ok(), desk, "{role}");
            let online = Action::ProduceApplication(Producer::Applicant, owner);
            assert!(authorize(&a, online).is_err(), "{role} is not the owner");
        }
        let online = Action::ProduceApplication(Producer::Applicant, owner);
        assert!(authorize(&member, online).is_ok());
        assert!(authorize(&outsider, online).is_err());
        let at_desk = Action::ProduceApplication(Producer::Operator, owner);
        assert!(authorize(&member, at_desk).is_err());
        assert!(authorize(&member, Action::ConfirmReceipt(owner)).is_ok());
        assert!(authorize(&outsider, Action::ConfirmReceipt(owner)).is_err());
        assert!(authorize(&member, Action::Deliver).is_err());
    }

    #[test]
    fn invoices_are_asked_for_by_their_owner_and_issued_by_finance() {
        let org = OrganisationId::new();
        let owner = Owner {
            organisation: Some(org),
            applicant: UserId::new(),
        };
        let member = actor(Role::Applicant, Some((org, MemberRole::Member)));
        let outsider = actor(
            Role::Applicant,
            Some((OrganisationId::new(), MemberRole::Admin)),
        );
        assert!(authorize(&member, Action::RequestInvoice(owner)).is_ok());
        assert!(authorize(&member, Action::ViewInvoice(owner)).is_ok());
        assert!(authorize(&member, Action::ListOwnInvoices).is_ok());
        assert!(authorize(&member, Action::IssueInvoice).is_err());
        assert!(authorize(&outsider, Action::RequestInvoice(owner)).is_err());
        assert!(authorize(&outsider, Action::ViewInvoice(owner)).is_err());
        for role in [Role::Reviewer, Role::Operator, Role::Finance, Role::Admin] {
            let staff = actor(role, None);
            let desk = matches!(role, Role::Finance | Role::Admin);
            assert_eq!(authorize(&staff, Action::IssueInvoice).is_ok(), desk);
            assert_eq!(authorize(&staff, Action::ViewInvoice(owner)).is_ok(), desk);
            assert!(authorize(&staff, Action::RequestInvoice(owner)).is_err());
            assert!(authorize(&staff, Action::ListOwnInvoices).is_err());
        }
    }

    #[test]
    fn a_pending_password_change_blocks_everything_else() {
        let mut a = actor(Role::Admin, None);
        a.must_change_password = true;
        assert!(matches!(
            authorize(&a, Action::ManageUsers),
            Err(Error::PasswordChangeRequired)
        ));
        assert!(authorize(&a, Action::ChangeOwnPassword).is_ok());
        assert!(authorize(&a, Action::SignOut).is_ok());
    }
}
