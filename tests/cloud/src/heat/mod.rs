//! The simulated Heat: HOT templates (parameters, resources, outputs, intrinsic functions,
//! nested templates from `files`, resource groups) and stacks realised through the
//! simulator's Nova, Neutron and Cinder.
