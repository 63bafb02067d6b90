#include "tls_certificates.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace tofu::test {

namespace {

// Runs one openssl command line; its output goes to a log in the directory, shown on failure.
void run(const std::string& directory, const std::string& arguments) {
  const std::string log = directory + "/openssl.log";
  const std::string command = "cd '" + directory + "' && openssl " + arguments + " >>" + log + " 2>&1";
  if (std::system(command.c_str()) != 0) {
    std::ifstream in(log);
    const std::string output((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    throw std::runtime_error("openssl " + arguments + " failed:\n" + output);
  }
}

void writeFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

// A self-signed CA named `name` (files NAME.pem, NAME.key) with its `openssl ca` database.
void makeCa(const std::string& directory, const std::string& name) {
  run(directory, "ecparam -name prime256v1 -genkey -noout -out " + name + ".key");
  run(directory,
      "req -x509 -new -key " + name + ".key -subj '/CN=tofu " + name + "' -days 30 -out " + name +
          ".pem -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign");
  writeFile(directory + "/" + name + ".index", "");
  writeFile(directory + "/" + name + ".cnf",
            "[ca]\ndefault_ca = ca\n[ca]\ndatabase = " + name +
                ".index\nnew_certs_dir = .\nserial = " + name +
                ".serial\ndefault_md = sha256\npolicy = any\ncopy_extensions = copy\nunique_subject = no\n"
                "[any]\norganizationName = optional\ncommonName = supplied\n");
  writeFile(directory + "/" + name + ".serial", "1000\n");
}

// A certificate NAME.pem (key NAME.key) for `subjectAltName`, signed by `ca` and valid from
// `start` to `end` (YYYYMMDDHHMMSSZ), or for 30 days from now when they are empty.
CertificateFiles makeLeaf(const std::string& directory, const std::string& ca, const std::string& name,
                          const std::string& altNames, const std::string& start = {},
                          const std::string& end = {}) {
  run(directory, "ecparam -name prime256v1 -genkey -noout -out " + name + ".key");
  run(directory, "req -new -key " + name + ".key -subj '/O=tofu tests/CN=tofu test " + name +
                     "' -addext 'subjectAltName=" + altNames + "' -out " + name + ".csr");
  const std::string validity = start.empty() ? "-days 30" : "-startdate " + start + " -enddate " + end;
  run(directory, "ca -batch -notext -config " + ca + ".cnf -cert " + ca + ".pem -keyfile " + ca +
                     ".key -in " + name + ".csr -out " + name + ".pem " + validity);
  return {directory + "/" + name + ".pem", directory + "/" + name + ".key"};
}

class Owner {
 public:
  Owner() {
    std::string pattern = (std::filesystem::temp_directory_path() / "tofu-tls-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    const std::string& dir = set_.directory = pattern;
    makeCa(dir, "ca");
    makeCa(dir, "rogue");
    set_.caFile = dir + "/ca.pem";
    const std::string serverNames = "DNS:localhost,IP:127.0.0.1,IP:::1";
    set_.server = makeLeaf(dir, "ca", "server", serverNames);
    set_.client = makeLeaf(dir, "ca", "client", "DNS:client.tofu.test,email:client@tofu.test");
    set_.expired = makeLeaf(dir, "ca", "expired", serverNames, "20200101000000Z", "20200201000000Z");
    set_.notYetValid = makeLeaf(dir, "ca", "future", serverNames, "20990101000000Z", "20990201000000Z");
    set_.wrongHost = makeLeaf(dir, "ca", "wronghost", "DNS:wrong.tofu.test");
    set_.unknownCa = makeLeaf(dir, "rogue", "rogueserver", serverNames);
  }
  ~Owner() {
    std::error_code ignored;
    std::filesystem::remove_all(set_.directory, ignored);
  }
  Owner(const Owner&) = delete;
  Owner& operator=(const Owner&) = delete;

  const TlsCertificates& set() const noexcept { return set_; }

 private:
  TlsCertificates set_;
};

}  // namespace

const TlsCertificates& TlsCertificates::get() {
  static const Owner owner;  // C++ makes it once, even with several threads asking
  return owner.set();
}

Options TlsCertificates::serverOptions(const CertificateFiles& identity) const {
  Options options;
  options.tlsCertificateChainFile = identity.certificate;
  options.tlsPrivateKeyFile = identity.key;
  options.tlsCaFile = caFile;
  return options;
}

Options TlsCertificates::clientOptions() const {
  Options options;
  options.tlsCaFile = caFile;
  return options;
}

}  // namespace tofu::test
