//! The S3 client against the test cloud's S3 (served alone, in this process): objects round-trip byte for byte
//! under keys that need encoding and under an endpoint with a path, and the store's refusals come back as
//! botocore shows them: a wrong secret key is `SignatureDoesNotMatch`, an unknown access key
//! `InvalidAccessKeyId`, a missing object or bucket 404; a request changed after signing is refused too.

use std::time::{Duration, Instant};

use sahara_openstack::OpenStackError;
use sahara_openstack::s3::{S3Client, S3Credentials, S3Options, sigv4};
use sahara_testcloud::sim::api::s3;

/// Serves the test cloud's S3 on a free port; answers its endpoint (`http://127.0.0.1:<port>/s3`).
async fn serve() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, s3::routes::<()>()).await;
    });
    (s3::endpoint(&format!("http://127.0.0.1:{port}")), task)
}

fn client(endpoint: &str, access: &str, secret: &str) -> S3Client {
    S3Client::new(endpoint, S3Credentials::new(access, secret)).expect("client")
}

#[tokio::test]
async fn objects_round_trip_and_refusals_read_as_botocore_shows_them() {
    let (endpoint, server) = serve().await;
    let good = client(&endpoint, s3::ACCESS_KEY, s3::SECRET_KEY);
    good.create_bucket("edp").await.expect("create bucket");
    let data: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
    for key in ["plain.jar", "dir/a b+c~é.pig", "/lead//double", "q?x#y&z=%41"] {
        good.put_object("edp", key, data.clone(), Some("application/x-test"))
            .await
            .unwrap_or_else(|e| panic!("put {key}: {e}"));
        let head = good
            .head_object("edp", key)
            .await
            .unwrap_or_else(|e| panic!("head {key}: {e}"));
        assert_eq!(head.content_length, 5000, "{key}");
        assert_eq!(head.content_type.as_deref(), Some("application/x-test"), "{key}");
        assert_eq!(good.get_object("edp", key).await.expect("get"), data, "{key}");
    }
    // Empty objects too.
    good.put_object("edp", "empty", Vec::new(), None)
        .await
        .expect("put empty");
    assert_eq!(good.head_object("edp", "empty").await.unwrap().content_length, 0);
    assert!(good.get_object("edp", "empty").await.unwrap().is_empty());

    // Not there: 404, GET with S3's code and message, HEAD with the status only (its answer has no body).
    let e = good.get_object("edp", "missing").await.unwrap_err();
    assert!(e.is_not_found(), "{e:?}");
    assert_eq!(
        e.to_string(),
        "An error occurred (NoSuchKey) when calling the GetObject operation: The specified key does not exist."
    );
    let e = good.head_object("edp", "missing").await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "An error occurred (404) when calling the HeadObject operation: Not Found"
    );
    let e = good.get_object("nobucket", "k").await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "An error occurred (NoSuchBucket) when calling the GetObject operation: The specified bucket does not exist"
    );

    // A wrong secret key: the signature is checked, and the secret never shows.
    let wrong = client(&endpoint, s3::ACCESS_KEY, "not-the-secret");
    let e = wrong.get_object("edp", "plain.jar").await.unwrap_err();
    assert_eq!(e.status(), Some(403), "{e:?}");
    assert_eq!(
        e.to_string(),
        "An error occurred (SignatureDoesNotMatch) when calling the GetObject operation: The request signature we \
         calculated does not match the signature you provided. Check your key and signing method. (HTTP 403)"
    );
    assert!(!format!("{e:?} {wrong:?}").contains("not-the-secret"));
    let e = wrong.head_object("edp", "plain.jar").await.unwrap_err();
    assert_eq!(e.status(), Some(403), "{e:?}");
    let e = wrong.put_object("edp", "x", b"x".to_vec(), None).await.unwrap_err();
    assert_eq!(e.status(), Some(403), "{e:?}");
    assert!(good.head_object("edp", "x").await.unwrap_err().is_not_found());
    // An unknown access key.
    let e = client(&endpoint, "NOTAKEY", s3::SECRET_KEY)
        .get_object("edp", "plain.jar")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("(InvalidAccessKeyId)"), "{e}");

    // Signed for another path, or unsigned: refused.
    let http = reqwest::Client::new();
    let url = format!("{endpoint}/edp/plain.jar");
    let amz_date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let host = url.trim_start_matches("http://").split('/').next().unwrap().to_string();
    let headers = vec![
        ("host".to_string(), host),
        ("x-amz-content-sha256".to_string(), sigv4::EMPTY_SHA256.to_string()),
        ("x-amz-date".to_string(), amz_date.clone()),
    ];
    let signed_for = |path: &str| {
        sigv4::authorization(
            &S3Credentials::new(s3::ACCESS_KEY, s3::SECRET_KEY),
            "us-east-1",
            "s3",
            &amz_date,
            &sigv4::Request {
                method: "GET",
                path,
                query: "",
                headers: &headers,
                payload_sha256: sigv4::EMPTY_SHA256,
            },
        )
    };
    let send = |auth: Option<String>| {
        let mut req = http
            .get(&url)
            .header("x-amz-content-sha256", sigv4::EMPTY_SHA256)
            .header("x-amz-date", &amz_date);
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        req.send()
    };
    let resp = send(Some(signed_for("/s3/edp/plain.jar"))).await.unwrap();
    assert_eq!(resp.status().as_u16(), 200, "signed by hand");
    let resp = send(Some(signed_for("/s3/edp/other.jar"))).await.unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    let body = resp.text().await.unwrap();
    assert!(body.contains("<Code>SignatureDoesNotMatch</Code>"), "{body}");
    assert!(!body.contains(s3::SECRET_KEY), "{body}");
    let resp = send(None).await.unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    assert!(resp.text().await.unwrap().contains("<Code>AccessDenied</Code>"));

    server.abort();
}

#[tokio::test]
async fn connection_failures_are_retried_then_reported() {
    // A server that closes every connection unanswered: botocore's standard mode tries `max_attempts` times
    // (waiting a random share of 50 ms, then of 100 ms), then the connection error is reported.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = accepted.clone();
    let server = tokio::spawn(async move {
        while let Ok((conn, _)) = listener.accept().await {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            drop(conn);
        }
    });
    let c = S3Client::with_options(
        &format!("http://127.0.0.1:{port}"),
        S3Credentials::new("AK", "SK"),
        S3Options {
            max_attempts: 3,
            ..S3Options::default()
        },
    )
    .unwrap();
    let began = Instant::now();
    let e = c.head_object("b", "k").await.unwrap_err();
    assert!(matches!(e, OpenStackError::Transport { .. }), "{e:?}");
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 3, "three attempts");
    assert!(began.elapsed() < Duration::from_secs(5), "waits of at most 50 + 100 ms");
    server.abort();
}
