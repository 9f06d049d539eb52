//! Organisations (主体): the profile and its people (人员管理).

mod members;
mod profile;

pub use members::{
    AddMemberInput, AddedMember, MemberView, add_member, list_members, remove_member,
};
pub use profile::{OrganisationView, ProfileInput, profile, search, update_profile};
