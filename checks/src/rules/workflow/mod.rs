//! CI workflows: pinned actions and images, vulnerability scans in the pipeline.

pub mod ci_vuln_scan;
pub mod gha_action_pinned;
pub mod gha_image_pinned;
