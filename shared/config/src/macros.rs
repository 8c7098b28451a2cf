//! `opt_group!`: one declaration gives a typed group struct, its loader from a
//! [`ConfigOpts`](crate::ConfigOpts), its redacting `Debug`, and its registry entries.

/// Declares a typed option group struct.
///
/// ```ignore
/// opt_group! {
///     /// Docs of the struct.
///     pub struct ProfilerOpts {
///         group: "profiler",
///         namespace: "sahara-rs",
///         enabled: bool = OptSpec::bool("enabled").default("false").help("..."),
///     }
/// }
/// ```
///
/// Every field is loaded with [`ConfigOpts::get_spec`](crate::ConfigOpts::get_spec) (files,
/// `OS_*` environment, default, interpolation, type checks); `Debug` prints secret fields as
/// `****`; `SPECS` lists the declarations for the registry and the sample generator.
macro_rules! opt_group {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            group: $group:literal,
            namespace: $ns:literal,
            $( $field:ident : $ty:ty = $spec:expr ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq)]
        pub struct $name {
            $(
                #[doc = concat!("Option `", stringify!($field), "` of `[", $group, "]`; help and default in [`",
                    stringify!($name), "::SPECS`].")]
                pub $field: $ty,
            )*
        }

        impl $name {
            /// The declarations of this struct's options, in field order.
            pub const SPECS: &'static [$crate::OptSpec] = &[ $( $spec.in_group($group, $ns) ),* ];
        }

        impl $crate::OptGroup for $name {
            const GROUP: &'static str = $group;

            fn specs() -> &'static [$crate::OptSpec] {
                Self::SPECS
            }

            fn load(conf: &$crate::ConfigOpts) -> Result<Self, $crate::ConfigError> {
                Ok(Self {
                    $( $field: {
                        const SPEC: $crate::OptSpec = $spec.in_group($group, $ns);
                        conf.get_spec::<$ty>(&SPEC)?
                    }, )*
                })
            }
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                let mut out = f.debug_struct(stringify!($name));
                $( {
                    const SPEC: $crate::OptSpec = $spec.in_group($group, $ns);
                    if SPEC.secret {
                        out.field(stringify!($field), &$crate::Redacted);
                    } else {
                        out.field(stringify!($field), &self.$field);
                    }
                } )*
                out.finish()
            }
        }
    };
}
