extension Unicode.Scalar {
    /// A control character (Unicode category Cc: U+0000–U+001F, U+007F–U+009F, U+0085 among them). Client
    /// identifiers (`client_op_id`, `visit_id`) refuse them, so reserved ids can use U+001F safely.
    package var isControl: Bool { properties.generalCategory == .control }
}
