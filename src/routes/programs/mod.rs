//! Partner programs (SPEC §12): the application form of each group and its builder, the join
//! link, the applicant's pages, the enterprise's **Applications** with **Approve** and
//! **Decline**, and the partner page's **Profile** tab. Groups themselves live in
//! `routes::partners::groups`; their page shows the sections loaded by [`sections`].

pub mod applicant;
pub mod application_form;
pub mod applications;
pub mod decide;
pub mod form_builder;
pub mod invited;
pub mod join;
pub mod join_account;
pub mod join_link;
pub mod profile;
pub mod sections;
