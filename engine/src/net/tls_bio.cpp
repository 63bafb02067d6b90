#include "net/tls_bio.h"

namespace tofu::detail {

namespace {

int markInitialised(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

}  // namespace

const BIO_METHOD* makeBioMethod(const char* name, const BioCallbacks& callbacks) {
  BIO_METHOD* made = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, name);
  if (made == nullptr) return nullptr;
  if (callbacks.readEx != nullptr) BIO_meth_set_read_ex(made, callbacks.readEx);
  if (callbacks.writeEx != nullptr) BIO_meth_set_write_ex(made, callbacks.writeEx);
  if (callbacks.control != nullptr) BIO_meth_set_ctrl(made, callbacks.control);
  BIO_meth_set_create(made, markInitialised);
  return made;
}

BIO* newBioWith(const BIO_METHOD* method, void* data) {
  BIO* bio = method != nullptr ? BIO_new(method) : nullptr;
  if (bio != nullptr) BIO_set_data(bio, data);
  return bio;
}

}  // namespace tofu::detail
