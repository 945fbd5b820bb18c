//! Who makes a request, and how a policy's `Principal` or `NotPrincipal` names them. AWS sees a
//! caller as several identities at once (a role session is also its role and its account), and
//! how directly a resource-based policy names the caller decides what else must allow the call.

use std::str::FromStr;

use super::policy::{PrincipalEntry, Principals};
use crate::domain::Arn;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallerKind {
    User,
    /// A role given by its ARN: one of its sessions, session name unknown.
    Role,
    AssumedRole,
    FederatedUser,
    Root,
    /// An AWS service principal such as `bedrock.amazonaws.com`.
    Service,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    text: String,
    kind: CallerKind,
    arn: Option<Arn>,
    role_name: Option<String>,
}

/// How directly a resource-based policy's Allow names the caller, from AWS's evaluation logic:
/// a grant to the user, the session (or to anyone) stands alone; a grant to a session's role is
/// limited by the permission boundary and session policy; a grant to the account delegates to
/// the account's own policies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Grant {
    Account,
    Role,
    Direct,
}

impl FromStr for Caller {
    type Err = String;

    fn from_str(text: &str) -> Result<Caller, String> {
        let invalid = || {
            format!(
                "'{text}' is not a principal: a user, role, assumed-role, federated-user or account root ARN, or a service such as bedrock.amazonaws.com"
            )
        };
        if !text.starts_with("arn:") {
            if text.ends_with(".amazonaws.com") && !text.contains(['/', ':', '*']) {
                return Ok(Caller {
                    text: text.to_string(),
                    kind: CallerKind::Service,
                    arn: None,
                    role_name: None,
                });
            }
            return Err(invalid());
        }
        let arn: Arn = text.parse().map_err(|_| invalid())?;
        arn.account().ok_or_else(invalid)?;
        let resource = arn.resource();
        let (kind, role_name) = match (arn.service(), arn.typed_resource()) {
            ("iam", None) if resource == "root" => (CallerKind::Root, None),
            ("iam", Some(("user", _))) => (CallerKind::User, None),
            ("iam", Some(("role", path))) => (
                CallerKind::Role,
                path.rsplit('/').next().map(str::to_string),
            ),
            ("sts", Some(("assumed-role", rest))) => match rest.split_once('/') {
                Some((role, session)) if !role.is_empty() && !session.is_empty() => {
                    (CallerKind::AssumedRole, Some(role.to_string()))
                }
                _ => return Err(invalid()),
            },
            ("sts", Some(("federated-user", _))) => (CallerKind::FederatedUser, None),
            _ => return Err(invalid()),
        };
        Ok(Caller {
            text: text.to_string(),
            kind,
            arn: Some(arn),
            role_name,
        })
    }
}

impl Caller {
    pub fn kind(&self) -> CallerKind {
        self.kind
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn account(&self) -> Option<&str> {
        self.arn.as_ref().and_then(Arn::account)
    }

    /// Sessions are what session policies limit.
    pub fn is_session(&self) -> bool {
        matches!(
            self.kind,
            CallerKind::Role | CallerKind::AssumedRole | CallerKind::FederatedUser
        )
    }

    /// Service-linked roles (path `aws-service-role/`, names `AWSServiceRoleFor...`) are exempt
    /// from SCPs and RCPs.
    pub fn is_service_linked(&self) -> bool {
        let by_path = self
            .arn
            .as_ref()
            .is_some_and(|a| a.resource().starts_with("role/aws-service-role/"));
        by_path
            || self
                .role_name
                .as_deref()
                .is_some_and(|name| name.starts_with("AWSServiceRoleFor"))
    }

    /// `aws:PrincipalArn`: the role for a role's session (without its path, which a session
    /// ARN does not carry), else the caller's own ARN.
    pub fn principal_arn(&self) -> Option<String> {
        let arn = self.arn.as_ref()?;
        Some(match (self.kind, &self.role_name) {
            (CallerKind::AssumedRole, Some(role)) => format!(
                "arn:{}:iam::{}:role/{role}",
                arn.partition(),
                arn.account().unwrap_or_default()
            ),
            _ => arn.to_string(),
        })
    }

    /// `aws:PrincipalType`.
    pub fn principal_type(&self) -> Option<&'static str> {
        Some(match self.kind {
            CallerKind::User => "User",
            CallerKind::Role | CallerKind::AssumedRole => "AssumedRole",
            CallerKind::FederatedUser => "FederatedUser",
            CallerKind::Root => "Account",
            CallerKind::Service => return None,
        })
    }

    /// How directly an Allow's `Principal` names this caller; `None` when it does not.
    pub fn granted_by(&self, principals: &Principals) -> Option<Grant> {
        principals
            .entries
            .iter()
            .filter_map(|entry| self.named_by(entry))
            .max()
    }

    /// Whether a statement with this `Principal` / `NotPrincipal` applies to the caller. A
    /// NotPrincipal spares the caller only when it lists every identity AWS may check (the
    /// session, its role and its account), and never spares a principal with a permission
    /// boundary (AWS's NotPrincipal reference says both).
    pub fn is_subject_of(&self, principals: &Principals, has_boundary: bool) -> bool {
        if !principals.negated {
            return self.granted_by(principals).is_some();
        }
        if has_boundary && self.kind != CallerKind::Service {
            return true;
        }
        let identities: &[Grant] = match self.kind {
            CallerKind::AssumedRole => &[Grant::Direct, Grant::Role, Grant::Account],
            CallerKind::Role => &[Grant::Role, Grant::Account],
            CallerKind::User | CallerKind::FederatedUser => &[Grant::Direct, Grant::Account],
            CallerKind::Root => &[Grant::Direct],
            CallerKind::Service => &[Grant::Direct],
        };
        identities.iter().any(|identity| {
            !principals.entries.iter().any(|entry| {
                *entry == PrincipalEntry::Anyone || self.named_by(entry) == Some(*identity)
            })
        })
    }

    fn named_by(&self, entry: &PrincipalEntry) -> Option<Grant> {
        match entry {
            PrincipalEntry::Anyone => Some(Grant::Direct),
            PrincipalEntry::Account(account) => {
                (Some(account.as_str()) == self.account()).then_some(match self.kind {
                    // The root user is its account.
                    CallerKind::Root => Grant::Direct,
                    _ => Grant::Account,
                })
            }
            PrincipalEntry::Arn(named) => {
                let own = self.arn.as_ref()?;
                if named.partition() != own.partition() || named.account() != own.account() {
                    return None;
                }
                match (named.service(), named.typed_resource()) {
                    ("iam", Some(("role", path))) => {
                        // A role is named with its path, a session without: the name decides.
                        let name = path.rsplit('/').next();
                        (self.role_name.is_some() && name == self.role_name.as_deref())
                            .then_some(Grant::Role)
                    }
                    _ => (named == own).then_some(Grant::Direct),
                }
            }
            PrincipalEntry::Service(service) => (self.kind == CallerKind::Service
                && service.eq_ignore_ascii_case(&self.text))
            .then_some(Grant::Direct),
            PrincipalEntry::Federated(name) | PrincipalEntry::CanonicalUser(name) => {
                (*name == self.text).then_some(Grant::Direct)
            }
            PrincipalEntry::UniqueId(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callers_from_arns() {
        let session: Caller = "arn:aws:sts::123456789012:assumed-role/dev/alice"
            .parse()
            .unwrap();
        assert_eq!(session.kind(), CallerKind::AssumedRole);
        assert_eq!(
            session.principal_arn().as_deref(),
            Some("arn:aws:iam::123456789012:role/dev")
        );
        let linked: Caller =
            "arn:aws:iam::123456789012:role/aws-service-role/bedrock.amazonaws.com/AWSServiceRoleForAmazonBedrock"
                .parse()
                .unwrap();
        assert!(linked.is_service_linked());
        assert!(!session.is_service_linked());
        let service: Caller = "bedrock.amazonaws.com".parse().unwrap();
        assert_eq!(service.kind(), CallerKind::Service);
        for bad in [
            "dev",
            "arn:aws:iam::123456789012:group/devs",
            "arn:aws:sts::123456789012:assumed-role/dev",
            "arn:aws:s3:::bucket",
        ] {
            assert!(bad.parse::<Caller>().is_err(), "{bad}");
        }
    }
}
