//! `X-Twilio-Signature`: proof that a webhook request comes from the Twilio account.
//!
//! Twilio signs the full URL it called followed by every POST parameter, sorted by name, as
//! `name` + `value` with no separators (a repeated name contributes each distinct value, sorted);
//! the key is the account's auth token, the MAC HMAC-SHA1, the header its base64 (28 characters).
//! GET requests sign the URL alone. Twilio is inconsistent about ports, so the URL is checked as
//! received and with its port removed (or the scheme's default port added), as the official
//! helper libraries do.
//! Source: <https://www.twilio.com/docs/usage/webhooks/webhooks-security>, twilio-python
//! `twilio/request_validator.py`.

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha1::Sha1;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "x-twilio-signature";
/// Present when Twilio signed with a webhook shared key (HMAC-SHA256, public beta) instead of
/// the auth token; such requests are refused.
/// Source: <https://www.twilio.com/docs/usage/webhooks/webhook-shared-keys>.
pub const SHARED_KEY_SETTINGS_HEADER: &str = "x-twilio-webhooks-signature-settings";

/// Length of an HMAC-SHA1 digest.
const SHA1_LEN: usize = 20;

/// Checks `signature` (the header's value) against `url` and `params` with each of `tokens`.
///
/// `url` is the public URL Twilio called, query string included, exactly as Twilio wrote it.
/// `params` are the decoded POST parameters (empty for GET), in any order, repeats included.
/// Returns `true` when any token signs the URL (as received, or in its other port form) and
/// parameters to `signature`. The comparison is constant-time in the MAC.
pub fn is_valid<'a>(
    url: &str,
    params: &[(String, String)],
    signature: &str,
    tokens: impl IntoIterator<Item = &'a SecretString>,
) -> bool {
    let Ok(provided) = BASE64.decode(signature.trim()) else {
        return false;
    };
    if provided.len() != SHA1_LEN {
        return false;
    }
    let signed_params = signed_params(params);
    let urls = url_variants(url);
    let mut valid = false;
    for token in tokens {
        for url in &urls {
            let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(token.expose_secret().as_bytes())
                .expect("HMAC takes keys of any length");
            mac.update(url.as_bytes());
            mac.update(signed_params.as_bytes());
            valid |= mac.verify_slice(&provided).is_ok();
        }
    }
    valid
}

/// `name1value1name2value2…`: names sorted, each name's distinct values sorted (byte order).
fn signed_params(params: &[(String, String)]) -> String {
    let mut pairs: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    let mut out = String::with_capacity(pairs.iter().map(|(k, v)| k.len() + v.len()).sum());
    for (k, v) in pairs {
        out.push_str(k);
        out.push_str(v);
    }
    out
}

/// The URL as received, and the same URL with its port removed when it has one, or with the
/// scheme's default port (443 for https, 80 otherwise) when it has none.
fn url_variants(url: &str) -> [Cow<'_, str>; 2] {
    let Some((scheme, rest)) = url.split_once("://") else {
        return [url.into(), url.into()];
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (userinfo, host_port) = match authority.rsplit_once('@') {
        Some((user, host)) => (Some(user), host),
        None => (None, authority),
    };
    let port_at = host_port
        .rfind(':')
        .filter(|&i| !host_port[i..].contains(']'))
        .filter(|&i| host_port[i + 1..].bytes().all(|b| b.is_ascii_digit()));
    let other_host = match port_at {
        Some(i) => host_port[..i].to_owned(),
        None => {
            let default_port = if scheme.eq_ignore_ascii_case("https") {
                443
            } else {
                80
            };
            format!("{host_port}:{default_port}")
        }
    };
    let userinfo = userinfo.map(|u| format!("{u}@")).unwrap_or_default();
    [
        url.into(),
        format!("{scheme}://{userinfo}{other_host}{tail}").into(),
    ]
}

#[cfg(test)]
mod tests {
    //! Vectors from ../shared/reference/twilio.md §3.6: V* are Twilio's own (twilio-python
    //! `tests/unit/test_request_validator.py`, twilio-node `spec/validation.spec.js`, the
    //! security docs); D* were computed for this project with the same algorithm.

    use super::*;

    fn token(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    const U: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

    fn p() -> Vec<(String, String)> {
        pairs(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675309"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
        ])
    }

    fn valid(url: &str, params: &[(String, String)], sig: &str) -> bool {
        is_valid(url, params, sig, [&token("12345")])
    }

    #[test]
    fn v1_base_case_and_port_stripped() {
        assert!(valid(U, &p(), "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
        assert!(valid(
            "https://mycompany.com:1234/myapp.php?foo=1&bar=2",
            &p(),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
    }

    #[test]
    fn v2_default_port_added() {
        assert!(valid(U, &p(), "kvajT1Ptam85bY51eRf/AJRuM3w="));
    }

    #[test]
    fn v3_http_with_explicit_port() {
        assert!(valid(
            "http://mycompany.com:1234/myapp.php?foo=1&bar=2",
            &p(),
            "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="
        ));
    }

    #[test]
    fn v4_http_default_port_added() {
        assert!(valid(
            "http://mycompany.com/myapp.php?foo=1&bar=2",
            &p(),
            "0ZXoZLH/DfblKGATFgpif+LLRf4="
        ));
    }

    #[test]
    fn v9_repeated_keys_sorted_and_deduplicated() {
        let params = pairs(&[
            ("Sid", "CA123"),
            ("SidAccount", "AC123"),
            ("Digits", "5678"),
            ("Digits", "1234"),
            ("Digits", "1234"),
        ]);
        assert!(valid(U, &params, "IK+Dwps556ElfBT0I3Rgjkr1wJU="));
    }

    #[test]
    fn v14_security_docs_example() {
        let params = pairs(&[
            ("Digits", "1234"),
            ("To", "+18005551212"),
            ("From", "+14158675310"),
            ("Caller", "+14158675310"),
            ("CallSid", "CA1234567890ABCDE"),
        ]);
        assert!(valid(
            "https://example.com/myapp.php?foo=1&bar=2",
            &params,
            "L/OH5YylLD5NRKLltdqwSvS0BnU="
        ));
    }

    #[test]
    fn negatives_from_the_node_spec() {
        assert!(!valid(U, &p(), "RSOYDt4T1cUTdK1PDd93/VVr8B8"));
        assert!(!valid(U, &p(), "RSOYDt4T1cUTdK1PDd93/VVr8B9="));
        assert!(!valid(U, &p(), ""));
        assert!(!valid(
            &format!("{U}&somethingUnexpected=true"),
            &p(),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
        assert!(!is_valid(
            U,
            &p(),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
            [&token("54321")]
        ));
        assert!(!is_valid(U, &p(), "RSOYDt4T1cUTdK1PDd93/VVr8B8=", []));
    }

    #[test]
    fn previous_token_is_accepted_while_present() {
        let tokens = [token("rotated-new"), token("12345")];
        assert!(is_valid(U, &p(), "RSOYDt4T1cUTdK1PDd93/VVr8B8=", &tokens));
    }

    const URL_L: &str = "https://abc123.execute-api.us-east-1.amazonaws.com/prod/voice";

    fn l() -> Vec<(String, String)> {
        // Decoded from the raw form body of §3.6, in the order received.
        crate::twilio::WebhookParams::from_form(
            b"AccountSid=AC00000000000000000000000000000000&ApiVersion=2010-04-01\
              &CallSid=CA11111111111111111111111111111111&CallStatus=ringing\
              &Called=%2B15005550006&CalledCity=&Caller=%2B15005550001&Direction=inbound\
              &From=%2B15005550001&To=%2B15005550006",
        )
        .pairs()
        .to_vec()
    }

    #[test]
    fn d1_correct_api_gateway_request() {
        assert!(valid(URL_L, &l(), "pB2nDwWg4ZPs/uOfsgMyjttlJDs="));
    }

    #[test]
    fn d2_blank_value_dropped_is_rejected() {
        assert!(!valid(URL_L, &l(), "dd+a/yMs6S19HQ8w+AqahvkJUYg="));
    }

    #[test]
    fn d3_stage_missing_is_rejected() {
        assert!(!valid(URL_L, &l(), "uZnKeS0d5SXmg2SECGdueVMqL/E="));
    }

    #[test]
    fn d4_default_port_variant_is_accepted() {
        assert!(valid(URL_L, &l(), "mWtT3Kr99KWIV32/FZLUbqgXLuk="));
    }

    #[test]
    fn d5_plus_decoded_to_space_is_rejected() {
        assert!(!valid(URL_L, &l(), "6HQSeBlzumpYRT4yd9VaZhDDewc="));
    }

    #[test]
    fn url_variants_follow_the_helpers() {
        let v = |u: &'static str| url_variants(u).map(Cow::into_owned);
        assert_eq!(v("https://h/p?q=1")[1], "https://h:443/p?q=1");
        assert_eq!(v("http://h/p")[1], "http://h:80/p");
        assert_eq!(v("https://h:8443/p")[1], "https://h/p");
        assert_eq!(v("https://h")[1], "https://h:443");
        assert_eq!(v("https://u:pw@h/p")[1], "https://u:pw@h:443/p");
        assert_eq!(v("https://[::1]/p")[1], "https://[::1]:443/p");
        assert_eq!(v("https://[::1]:8443/p")[1], "https://[::1]/p");
        assert_eq!(v("not a url")[1], "not a url");
    }
}
