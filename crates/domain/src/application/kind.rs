//! What is asked for: the kind of business, the channel, the certificate type and
//! how the key reaches the applicant.

use super::text_enum;

text_enum! {
    /// The kind of business (业务类型).
    pub enum Kind / KindError ("kind.unknown") {
        /// 新办 / 新制 / 申领: first certificate(s) on new key(s).
        New => "new",
        /// 延期 / 续费: validity extended from the old expiry.
        Renew => "renew",
        /// 补办: lost or damaged key; the old certificate is revoked.
        Replace => "replace",
        /// 信息变更: subject data changed; the old certificate is superseded.
        Change => "change",
        /// 年检: annual inspection of an e-seal certificate.
        Inspect => "inspect",
        /// 注销: revocation at the holder's request.
        Cancel => "cancel",
    }
}

impl Kind {
    /// Whether the applicant chooses a number of years (新办 and 延期); the other
    /// kinds are priced per certificate, as one year.
    pub fn has_years(self) -> bool {
        matches!(self, Kind::New | Kind::Renew)
    }

    /// Whether the application concerns a certificate the applicant already holds.
    pub fn concerns_existing_certificate(self) -> bool {
        self != Kind::New
    }

    /// Whether a key reaches the applicant at the end (注销 only revokes).
    pub fn delivers(self) -> bool {
        self != Kind::Cancel
    }
}

text_enum! {
    /// 网上办理 (remote, through the portal) or 现场办理 (at a service point).
    pub enum Channel / ChannelError ("channel.unknown") {
        Online => "online",
        OnSite => "onsite",
    }
}

impl Channel {
    /// The delivery methods open on this channel: on site, keys are handed over there.
    pub fn deliveries(self) -> &'static [Delivery] {
        match self {
            Channel::Online => &[Delivery::Mail, Delivery::Pickup, Delivery::Download],
            Channel::OnSite => &[Delivery::Pickup],
        }
    }
}

text_enum! {
    /// The certificate type (证书类型).
    pub enum CertType / CertTypeError ("cert_type.unknown") {
        /// 单位主锁 / 机构证书.
        OrgMaster => "org_master",
        /// 机构个人证书 / 项目负责人锁: a person acting for an organisation.
        OrgStaff => "org_staff",
        /// 个人证书.
        Personal => "personal",
        /// 电子签章: e-seal certificate plus seal image.
        Seal => "seal",
    }
}

impl CertType {
    /// Whether the certificate belongs to an organisation (as opposed to an individual).
    pub fn for_organisation(self) -> bool {
        self != CertType::Personal
    }

    /// The certificate types open to this applicant.
    pub fn open_to(organisation: bool) -> &'static [CertType] {
        if organisation {
            &[CertType::OrgMaster, CertType::OrgStaff, CertType::Seal]
        } else {
            &[CertType::Personal]
        }
    }
}

text_enum! {
    /// How the key or certificate reaches the applicant.
    pub enum Delivery / DeliveryError ("delivery.unknown") {
        /// 邮寄: costs a shipping fee.
        Mail => "mail",
        /// 网点领取: pickup at a service point with a 领取码.
        Pickup => "pickup",
        /// 在线下载: nothing to deliver.
        Download => "download",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Reason;

    #[test]
    fn text_round_trips() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Ok(*k));
        }
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Ok(*c));
        }
        for t in CertType::ALL {
            assert_eq!(CertType::parse(t.as_str()), Ok(*t));
        }
        for d in Delivery::ALL {
            assert_eq!(Delivery::parse(d.as_str()), Ok(*d));
        }
        assert_eq!(
            Kind::parse("nope").map_err(|e| e.key()),
            Err("kind.unknown")
        );
        let json = serde_json_like(Kind::Replace);
        assert_eq!(json, "replace");
    }

    fn serde_json_like(k: Kind) -> String {
        k.to_string()
    }

    #[test]
    fn on_site_hands_keys_over_there() {
        assert_eq!(Channel::OnSite.deliveries(), &[Delivery::Pickup]);
        assert!(Channel::Online.deliveries().contains(&Delivery::Mail));
    }
}
