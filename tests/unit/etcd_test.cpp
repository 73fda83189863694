// SPDX-License-Identifier: GPL-2.0-or-later
// The pure parts of the etcd backend: the gateway's JSON, the lock's keys,
// the holder record, the fencing arithmetic and the backend's options.
#include <fstream>

#include <gtest/gtest.h>
#include <unistd.h>

#include "showguard/command_line.hpp"
#include "showguard/error.hpp"
#include "showguard/etcd_protocol.hpp"
#include "showguard/etcd_status.hpp"
#include "showguard/guard_options.hpp"
#include "showguard/lease_keeper.hpp"

using namespace showguard;
using namespace std::chrono_literals;

namespace {

// Answers as etcd 3.4.23's gateway gave them.
constexpr const char *header = R"("header":{"cluster_id":"324952591200643719","member_id":"3319814642761637952","revision":"2","raft_term":"2"})";

std::string with_header(const std::string &rest)
{
	return "{" + std::string(header) + rest + "}";
}

ExitCode error_code_of(std::vector<const char *> args, std::string *message = nullptr)
{
	args.insert(args.begin(), "showguard");
	args.insert(args.end(), {"--", "/bin/true"});
	try {
		(void)load_guard_options(parse_command_line(static_cast<int>(args.size()), args.data()));
	} catch (const Error &e) {
		if (message)
			*message = e.what();
		return e.code();
	}
	return ExitCode::ok;
}

GuardOptions options_of(std::vector<const char *> args)
{
	args.insert(args.begin(), "showguard");
	args.insert(args.end(), {"--", "/bin/true"});
	return load_guard_options(parse_command_line(static_cast<int>(args.size()), args.data()));
}

} // namespace

// The fully static build has no etcd backend: asking for it is one error
// naming the build, exit 69, before any of the cluster's options is looked
// at. Every other build accepts the same command line.
TEST(EtcdOptions, ABuildWithoutTheBackendSaysSo)
{
	std::string message;
	const ExitCode code = error_code_of({"--show", "s", "--config", "/dev/null", "--lock-backend", "etcd",
					     "--etcd-endpoints", "http://127.0.0.1:2379"},
					    &message);
	if (!etcd_backend_missing()) {
		EXPECT_EQ(code, ExitCode::ok) << message;
		return;
	}
	EXPECT_EQ(code, ExitCode::unavailable);
	EXPECT_EQ(message, etcd_backend_missing());
	EXPECT_NE(message.find("this build of showguard (static"), std::string::npos) << message;
	EXPECT_EQ(message.find('\n'), std::string::npos) << message;
	// Also without endpoints: the missing backend, not the missing option.
	EXPECT_EQ(error_code_of({"--show", "s", "--config", "/dev/null", "--lock-backend", "etcd"}), ExitCode::unavailable);
}

TEST(EtcdProtocol, Base64RoundTripsEveryLength)
{
	EXPECT_EQ(base64_encode(""), "");
	EXPECT_EQ(base64_encode("f"), "Zg==");
	EXPECT_EQ(base64_encode("fo"), "Zm8=");
	EXPECT_EQ(base64_encode("foo"), "Zm9v");
	EXPECT_EQ(base64_encode("/showguard/locks/"), "L3Nob3dndWFyZC9sb2Nrcy8=");
	std::string bytes;
	for (int i = 0; i < 256; ++i) {
		bytes += static_cast<char>(i);
		EXPECT_EQ(base64_decode(base64_encode(bytes)), bytes);
	}
}

TEST(EtcdProtocol, Base64RejectsWhatIsNotBase64)
{
	EXPECT_FALSE(base64_decode("Zg="));
	EXPECT_FALSE(base64_decode("Z!=="));
	EXPECT_FALSE(base64_decode("Zg==Zg=="));
	EXPECT_FALSE(base64_decode("Z=g="));
}

TEST(EtcdProtocol, PrefixRangeEndIncrementsTheLastByte)
{
	EXPECT_EQ(prefix_range_end("/showguard/locks/x/"), "/showguard/locks/x0");
	EXPECT_EQ(prefix_range_end("a\xff"), "b");
	EXPECT_EQ(prefix_range_end("\xff"), std::string(1, '\0'));
}

TEST(EtcdProtocol, LockKeysAreNamedByLeaseInHex)
{
	EXPECT_EQ(lock_prefix("starcourt"), "/showguard/locks/starcourt/");
	EXPECT_EQ(lock_key("starcourt", 2324035745689224965), "/showguard/locks/starcourt/2040a2328b1dc705");
	EXPECT_EQ(show_of_key("/showguard/locks/starcourt/2040a2328b1dc705"), "starcourt");
	EXPECT_EQ(show_of_key("/showguard/locks/starcourt"), "");
	EXPECT_EQ(show_of_key("/other/starcourt/1"), "");
}

TEST(EtcdProtocol, HolderRecordRoundTrips)
{
	const HolderRecord record{"starcourt", "stage-a", 812, 815, 1764610000123};
	const auto back = parse_holder(format_holder(record));
	ASSERT_TRUE(back);
	EXPECT_EQ(back->show, "starcourt");
	EXPECT_EQ(back->host, "stage-a");
	EXPECT_EQ(back->guard_pid, 812);
	EXPECT_EQ(back->show_pid, 815);
	EXPECT_EQ(back->since_ms, 1764610000123);
	const auto hostile = parse_holder(R"({"show":"s","host":"h","guard_pid":-1,"show_pid":"99999999999"})");
	ASSERT_TRUE(hostile);
	EXPECT_EQ(hostile->guard_pid, 0);
	EXPECT_EQ(hostile->show_pid, 0);
	EXPECT_FALSE(parse_holder("not json"));
	EXPECT_FALSE(parse_holder(R"({"host":"a"})"));
	EXPECT_FALSE(parse_holder("[1,2]"));
}

TEST(EtcdProtocol, RequestsSpeakTheGatewaysJson)
{
	EXPECT_EQ(grant_request(10), R"({"TTL":"10"})");
	EXPECT_EQ(lease_request(42), R"({"ID":"42"})");
	const std::string create = create_key_request("/k", "v", 42);
	EXPECT_NE(create.find(R"("create_revision":"0")"), std::string::npos) << create;
	EXPECT_NE(create.find(R"("lease":"42")"), std::string::npos) << create;
	EXPECT_NE(create.find(R"("request_range")"), std::string::npos) << create;
	const std::string below = range_request("/p/", 7);
	EXPECT_NE(below.find(R"("max_create_revision":"6")"), std::string::npos) << below;
	EXPECT_NE(below.find(R"("sort_order":"DESCEND")"), std::string::npos) << below;
	EXPECT_NE(below.find(R"("limit":"1")"), std::string::npos) << below;
	const std::string all = range_request("/p/");
	EXPECT_NE(all.find(R"("range_end":"L3Aw")"), std::string::npos) << all;
	EXPECT_NE(all.find(R"("sort_order":"ASCEND")"), std::string::npos) << all;
	EXPECT_NE(watch_request("/k", 9).find(R"("start_revision":"9")"), std::string::npos);
	EXPECT_NE(watch_request("/k", 9).find(R"("filters":["NOPUT"])"), std::string::npos);
}

TEST(EtcdProtocol, ParsesGrantAndKeepalive)
{
	const auto grant = parse_grant(with_header(R"(,"ID":"2324035745689224965","TTL":"5")"));
	ASSERT_TRUE(grant);
	EXPECT_EQ(grant->lease, 2324035745689224965);
	EXPECT_EQ(grant->ttl, 5);
	EXPECT_FALSE(parse_grant(with_header("")));
	EXPECT_EQ(parse_keepalive("{\"result\":" + with_header(R"(,"ID":"1","TTL":"5")") + "}"), 5);
	// A lease etcd does not know: TTL left out.
	EXPECT_EQ(parse_keepalive("{\"result\":" + with_header(R"(,"ID":"12345")") + "}"), 0);
	EXPECT_FALSE(parse_keepalive(R"({"error":"x"})"));
	EXPECT_FALSE(parse_keepalive("garbage"));
}

TEST(EtcdProtocol, ParsesTheCreateTransaction)
{
	const auto created = parse_create_key(
		with_header(R"(,"succeeded":true,"responses":[{"response_put":{"header":{"revision":"2"}}}])"));
	ASSERT_TRUE(created);
	EXPECT_TRUE(created->created);
	EXPECT_EQ(created->create_revision, 2);
	const auto existing = parse_create_key(with_header(
		R"(,"responses":[{"response_range":{"header":{"revision":"2"},"kvs":[{"key":"Zm9v","create_revision":"7","mod_revision":"8","version":"1","value":"YmFy"}],"count":"1"}}])"));
	ASSERT_TRUE(existing);
	EXPECT_FALSE(existing->created);
	EXPECT_EQ(existing->create_revision, 7);
	EXPECT_FALSE(parse_create_key(with_header(R"(,"responses":[]})")));
}

TEST(EtcdProtocol, ParsesRangesAndWatchMessages)
{
	const auto range = parse_range(with_header(
		R"(,"kvs":[{"key":"Zm9v","create_revision":"2","mod_revision":"3","version":"1","value":"YmFy","lease":"9"}],"count":"1")"));
	ASSERT_TRUE(range);
	EXPECT_EQ(range->revision, 2);
	ASSERT_EQ(range->kvs.size(), 1u);
	EXPECT_EQ(range->kvs[0].key, "foo");
	EXPECT_EQ(range->kvs[0].value, "bar");
	EXPECT_EQ(range->kvs[0].create_revision, 2);
	EXPECT_EQ(range->kvs[0].lease, 9);
	EXPECT_TRUE(parse_range(with_header(""))->kvs.empty());

	const auto created = parse_watch_message("{\"result\":" + with_header(R"(,"created":true)") + "}");
	ASSERT_TRUE(created);
	EXPECT_TRUE(created->created);
	EXPECT_FALSE(created->deleted);
	const auto deleted = parse_watch_message(
		"{\"result\":" + with_header(R"(,"events":[{"type":"DELETE","kv":{"key":"Zm9v","mod_revision":"3"}}])") + "}");
	ASSERT_TRUE(deleted);
	EXPECT_TRUE(deleted->deleted);
	const auto canceled = parse_watch_message(
		"{\"result\":" + with_header(R"(,"canceled":true,"cancel_reason":"no leader")") + "}");
	ASSERT_TRUE(canceled);
	EXPECT_TRUE(canceled->canceled);
	EXPECT_EQ(canceled->cancel_reason, "no leader");
}

TEST(EtcdProtocol, ErrorMessagesAreEtcdsOwnWords)
{
	EXPECT_EQ(error_message(R"({"error":"etcdserver: requested lease not found","message":"etcdserver: requested lease not found","code":5})"),
		  "etcdserver: requested lease not found");
	EXPECT_EQ(error_message(R"({"error":{"grpc_code":14,"http_code":503,"message":"etcdserver: no leader"}})"),
		  "etcdserver: no leader");
	EXPECT_EQ(error_message("Not Found\n"), "Not Found");
	EXPECT_EQ(error_message(""), "empty answer");
}

TEST(LeaseTiming, StopsTheShowBeforeTheLeaseCanExpire)
{
	const LeaseTiming t{10s, 3s};
	EXPECT_EQ(t.keepalive_interval(), 1666ms);
	EXPECT_EQ(t.hedge_delay(), 250ms);
	EXPECT_EQ(t.safety_margin(), 1s);
	const TimePoint sent{};
	EXPECT_EQ(t.expiry(sent), sent + 10s);
	EXPECT_EQ(t.stop_at(sent), sent + 6s);
	// SIGTERM at stop_at, SIGKILL a kill timeout later: a margin before expiry.
	EXPECT_EQ(t.expiry(sent) - (t.stop_at(sent) + t.kill_timeout), t.safety_margin());
	EXPECT_EQ(LeaseTiming({3s, 1s}).safety_margin(), 300ms);
	EXPECT_EQ(LeaseTiming({2s, 500ms}).safety_margin(), 200ms);
}

TEST(LeaseTiming, KillTimeoutMustFitInsideTheLease)
{
	EXPECT_EQ(default_etcd_kill_timeout(10s), 3333ms);
	EXPECT_EQ(default_etcd_kill_timeout(3s), 1s);
	for (auto ttl : {2s, 3s, 10s, 60s}) {
		EXPECT_EQ(kill_timeout_problem(ttl, default_etcd_kill_timeout(ttl)), "") << ttl.count();
		// And with the default, the stop point lies after the next renewal.
		const LeaseTiming t{ttl, default_etcd_kill_timeout(ttl)};
		EXPECT_GT(t.stop_at(TimePoint{}), TimePoint{} + t.keepalive_interval() + t.hedge_delay());
	}
	EXPECT_EQ(kill_timeout_problem(10s, 4667ms), "");
	EXPECT_NE(kill_timeout_problem(10s, 4668ms), "");
	EXPECT_NE(kill_timeout_problem(10s, 10s).find("may be at most 4667ms"), std::string::npos)
		<< kill_timeout_problem(10s, 10s);
}

TEST(LeaseTiming, SmallestTtlThatRidesOutALeaderElection)
{
	const EtcdElection defaults;
	EXPECT_EQ(defaults.longest(), 2200ms);
	// TTL - TTL/6 - TTL/10 - TTL/3 - 250ms >= 2.2s: 7s with the default kill timeout.
	EXPECT_EQ(smallest_election_ttl(std::nullopt, defaults), 7s);
	EXPECT_EQ(election_problem(10s, default_etcd_kill_timeout(10s), false, defaults), "");
	EXPECT_EQ(election_problem(7s, default_etcd_kill_timeout(7s), false, defaults), "");
	const std::string six = election_problem(6s, default_etcd_kill_timeout(6s), false, defaults);
	EXPECT_NE(six.find("at least 7s"), std::string::npos) << six;
	// A longer kill timeout needs a longer lease; a slower cluster too.
	EXPECT_EQ(smallest_election_ttl(5s, defaults), 11s);
	EXPECT_EQ(smallest_election_ttl(std::nullopt, {2s, 200ms}), 12s);
	// The arithmetic itself, at the default TTL: 10 - 1.666 - 1 - 3.333 - 0.25.
	EXPECT_EQ(LeaseTiming({10s, 3333ms}).outage_ridden_out(), 3751ms);
}

TEST(EtcdOptions, BackendOptionsParseAndDeriveTheKillTimeout)
{
	if (const char *missing = etcd_backend_missing())
		GTEST_SKIP() << missing;
	const GuardOptions local = options_of({"--show", "s"});
	EXPECT_EQ(local.lock_backend, LockBackend::local);
	EXPECT_EQ(local.kill_timeout, 10s);

	const GuardOptions etcd = options_of({"--show", "s", "--config", "/dev/null", "--lock-backend", "etcd",
					      "--etcd-endpoints", "http://127.0.0.1:2379,https://10.0.0.2:2379"});
	EXPECT_EQ(etcd.lock_backend, LockBackend::etcd);
	EXPECT_EQ(etcd.etcd_endpoints, (std::vector<std::string>{"http://127.0.0.1:2379", "https://10.0.0.2:2379"}));
	EXPECT_EQ(etcd.lease_ttl, 10s);
	EXPECT_EQ(etcd.kill_timeout, 3333ms); // derived: 10s would not fit

	const GuardOptions given = options_of({"--show", "s", "--config", "/dev/null", "--lock-backend", "etcd",
					       "--etcd-endpoints", "http://a:1", "--lease-ttl", "30s", "--kill-timeout",
					       "12s"});
	EXPECT_EQ(given.lease_ttl, 30s);
	EXPECT_EQ(given.kill_timeout, 12s);
}

TEST(EtcdOptions, BadValuesNameTheOption)
{
	if (const char *missing = etcd_backend_missing())
		GTEST_SKIP() << missing;
	std::string message;
	EXPECT_EQ(error_code_of({"--show", "s", "--lock-backend", "zookeeper"}, &message), ExitCode::usage);
	EXPECT_NE(message.find("--lock-backend"), std::string::npos) << message;
	EXPECT_EQ(error_code_of({"--show", "s", "--etcd-endpoints", "127.0.0.1:2379"}, &message), ExitCode::usage);
	EXPECT_NE(message.find("--etcd-endpoints"), std::string::npos) << message;
	EXPECT_EQ(error_code_of({"--show", "s", "--etcd-endpoints", "http://a:1,"}, &message), ExitCode::usage);
	EXPECT_EQ(error_code_of({"--show", "s", "--lease-ttl", "1500ms"}, &message), ExitCode::usage);
	EXPECT_NE(message.find("--lease-ttl"), std::string::npos) << message;
	EXPECT_EQ(error_code_of({"--show", "s", "--config", "/dev/null", "--lock-backend", "etcd"}, &message),
		  ExitCode::usage);
	EXPECT_NE(message.find("etcd-endpoints"), std::string::npos) << message;
	EXPECT_EQ(error_code_of({"--show", "s", "--config", "/dev/null", "--lock-backend", "etcd", "--etcd-endpoints",
				 "http://a:1", "--kill-timeout", "10s"},
				&message),
		  ExitCode::usage);
	EXPECT_NE(message.find("kill-timeout and lease-ttl"), std::string::npos) << message;
}

TEST(EtcdOptions, AKillTimeoutThatDoesNotFitInAFileIsAConfigError)
{
	if (const char *missing = etcd_backend_missing())
		GTEST_SKIP() << missing;
	char tmpl[] = "/tmp/showguard-etcd-test-XXXXXX";
	const std::filesystem::path dir = ::mkdtemp(tmpl);
	const std::string conf = (dir / "showguard.conf").string();
	std::ofstream(conf) << "lock-backend = etcd\netcd-endpoints = http://127.0.0.1:2379\nlease-ttl = 3s\n"
			       "kill-timeout = 2s\n";
	std::string message;
	EXPECT_EQ(error_code_of({"--show", "s", "--config", conf.c_str(), "--config-dir", dir.c_str()}, &message),
		  ExitCode::config);
	EXPECT_NE(message.find(conf + ":4: kill-timeout and lease-ttl"), std::string::npos) << message;
	std::filesystem::remove_all(dir);
}

TEST(EtcdStatus, PrometheusMetricsNameHolderTokenAndWaiting)
{
	HolderRecord holder{"stage", "ctl-\"a\"", 812, 815, 1767225600123};
	const std::vector<EtcdLockEntry> entries{{"stage", "/showguard/locks/stage/1", 42, holder, 2},
						 {"dark", "/showguard/locks/dark/2", 7, std::nullopt, 0}};
	const std::string text = format_etcd_prometheus(entries);
	EXPECT_NE(text.find("# TYPE showguard_etcd_show_holder gauge\n"), std::string::npos) << text;
	EXPECT_NE(text.find("showguard_etcd_show_holder{show=\"stage\",host=\"ctl-\\\"a\\\"\"} 1\n"), std::string::npos)
		<< text;
	EXPECT_NE(text.find("showguard_etcd_show_fencing_token{show=\"stage\"} 42\n"), std::string::npos) << text;
	EXPECT_NE(text.find("showguard_etcd_show_waiting{show=\"stage\"} 2\n"), std::string::npos) << text;
	EXPECT_NE(text.find("showguard_etcd_show_since_seconds{show=\"stage\"} 1767225600.123\n"), std::string::npos)
		<< text;
	// A key whose value is no holder record: no since, an empty host.
	EXPECT_NE(text.find("showguard_etcd_show_fencing_token{show=\"dark\"} 7\n"), std::string::npos) << text;
	EXPECT_EQ(text.find("showguard_etcd_show_since_seconds{show=\"dark\"}"), std::string::npos) << text;
}
