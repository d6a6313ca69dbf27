//! The policy pages in a real browser, in Thai and Vietnamese at 360 px.
