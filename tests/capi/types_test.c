/* The run-time types through the C ABI only (runatime.h, rt_tier0.h for
 * the reference tier): the descriptors of examples/shapes.runas, instances
 * made and initialised by reflection, fields read and refused, methods
 * found by selector and slot and invoked by name, an inline cache over
 * three receiver types. Exits 0 on success; also run with a collection at
 * every allocation (values are re-read from the runtime after each call). */
#include <string.h>

#include "capi_check.h"
#include "rt_tier0.h"

static const rt_type* find(rt_runtime* r, const rt_module* m, const char* name) {
  const rt_type* t = NULL;
  CHECK(rt_type_find(r, m, name, &t));
  EXPECT(t != NULL);
  return t;
}

/* A new instance of `type` initialised by its constructor with a name and
 * `size` as a Float. The String and the instance are kept in root slots
 * while the other is made: each allocation may move the first. */
static rt_value make(rt_runtime* r, rt_thread* t, const rt_type* type, const char* name, int size) {
  const rt_type* float_type = NULL;
  CHECK(rt_type_builtin(r, RT_TYPE_FLOAT, &float_type));
  rt_value held[4] = {0, 0, 0, 0}; /* name, size, size, the instance */
  uint64_t roots = 0;
  CHECK(rt_thread_roots_add(t, held, 4, &roots));
  CHECK(rt_integer_new(t, size, &held[1]));
  CHECK(rt_value_cast(t, held[1], float_type, &held[1]));
  held[2] = held[1];
  CHECK(rt_string_new(t, name, strlen(name), &held[0]));
  CHECK(rt_type_new(t, type, &held[3]));
  rt_type_info info;
  CHECK(rt_type_info_init(&info));
  CHECK(rt_type_get_info(r, type, &info));
  /* Rectangle's initialize takes a width and a height; the others one size. */
  const uint32_t n = strcmp(info.name, "Rectangle") == 0 ? 3 : 2;
  rt_value object = 0;
  CHECK(rt_method_invoke(t, held[3], "initialize", held, n, &object));
  CHECK(rt_thread_roots_remove(t, roots));
  EXPECT(rt_thread_roots_remove(t, roots) == RT_ERROR_INVALID_ARGUMENT);
  return object;
}

static void expect_text(rt_thread* t, rt_value v, const char* expected) {
  char buffer[128];
  size_t length = 0;
  CHECK(rt_string_get(t, v, buffer, sizeof buffer, &length));
  if (strcmp(buffer, expected) != 0) {
    fprintf(stderr, "expected \"%s\", got \"%s\"\n", expected, buffer);
    exit(1);
  }
}

int main(void) {
  EXPECT(rt_abi_compatible());
  rt_runtime_options options;
  CHECK(rt_runtime_options_init(&options));
  rt_runtime* r = NULL;
  CHECK(rt_runtime_create(&options, &r));
  rt_tier0* tier0 = NULL;
  uint32_t tier0_index = 0;
  CHECK(rt_tier0_install(r, &tier0, &tier0_index));
  rt_thread* t = NULL;
  CHECK(rt_thread_attach(r, &t));
  const rt_module* m = NULL;
  CHECK(rt_module_load(t, RUNA_EXAMPLES_DIR "/shapes.runas", &m));

  /* Descriptors. */
  const rt_type* shape = find(r, m, "Shape");
  const rt_type* circle = find(r, m, "Circle");
  const rt_type* rectangle = find(r, m, "Rectangle");
  const rt_type* square = find(r, m, "Square");
  const rt_type* absent = shape;
  CHECK(rt_type_find(r, m, "Triangle", &absent));
  EXPECT(absent == NULL);
  rt_type_info info;
  CHECK(rt_type_info_init(&info));
  CHECK(rt_type_get_info(r, square, &info));
  EXPECT(info.kind == RT_TYPE_STRUCT && strcmp(info.name, "Square") == 0);
  EXPECT(info.super == rectangle && info.depth == 2 && info.field_count == 3);
  EXPECT(info.module == m);
  const rt_type* again = NULL;
  CHECK(rt_type_at(r, info.serial, &again));
  EXPECT(again == square);
  uint32_t count = 0;
  CHECK(rt_type_count(r, &count));
  EXPECT(count >= info.serial);
  EXPECT(rt_type_at(r, count + 1, &again) == RT_ERROR_INVALID_ARGUMENT);
  int yes = 0;
  CHECK(rt_type_is_subtype(square, shape, &yes));
  EXPECT(yes == 1);
  CHECK(rt_type_is_subtype(circle, rectangle, &yes));
  EXPECT(yes == 0);
  rt_field_info field;
  CHECK(rt_field_info_init(&field));
  CHECK(rt_type_field(square, 0, &field));
  EXPECT(strcmp(field.name, "name") == 0 && field.owner == shape && field.slot == 0);
  int found = 0;
  CHECK(rt_type_field_named(circle, "radius", &field, &found));
  EXPECT(found == 1 && field.slot == 1 && field.owner == circle);
  CHECK(rt_type_field_named(circle, "width", &field, &found));
  EXPECT(found == 0);
  EXPECT(rt_type_field(circle, 2, &field) == RT_ERROR_INVALID_ARGUMENT);
  const rt_type* list = NULL;
  CHECK(rt_type_find(r, m, "List[Shape]", &list));
  const rt_type* element = NULL;
  CHECK(rt_type_arg(list, 0, &element));
  EXPECT(element == shape);

  /* Methods: vtable slots shared down the hierarchy, lookup by selector. */
  uint32_t area = 0, describe = 0;
  CHECK(rt_selector(r, "area", &area));
  CHECK(rt_selector(r, "describe", &describe));
  uint32_t slot = 0, slot_square = 0;
  CHECK(rt_method_slot(r, shape, area, &slot));
  CHECK(rt_method_slot(r, square, area, &slot_square));
  EXPECT(slot != RT_NO_SLOT && slot == slot_square);
  rt_method_info method;
  CHECK(rt_method_info_init(&method));
  CHECK(rt_type_method(r, square, slot, &method));
  EXPECT(strcmp(method.name, "area") == 0 && method.owner == rectangle); /* inherited */
  CHECK(rt_method_lookup(r, square, describe, &method, &found));
  EXPECT(found == 1 && method.owner == square && method.function != NULL);
  uint32_t nothing_selector = 0;
  CHECK(rt_selector(r, "perimeter", &nothing_selector));
  CHECK(rt_method_lookup(r, square, nothing_selector, &method, &found));
  EXPECT(found == 0);

  /* Instances by reflection, then fields and methods by name. The circle
   * is held in a root slot: raising an exception allocates, and so may move
   * it (bridge.h). */
  rt_value c = make(r, t, circle, "plate", 2);
  uint64_t roots = 0;
  CHECK(rt_thread_roots_add(t, &c, 1, &roots));
  const rt_type* type = NULL;
  CHECK(rt_value_type(t, c, &type));
  EXPECT(type == circle);
  CHECK(rt_value_instance_of(t, c, shape, &yes));
  EXPECT(yes == 1);
  rt_value v = 0;
  CHECK(rt_field_get(t, c, "name", &v));
  expect_text(t, v, "plate");
  EXPECT(rt_field_get(t, c, "colour", &v) == RT_ERROR_THROWN);
  CHECK(rt_exception_clear(t));
  CHECK(rt_integer_new(t, 5, &v));
  EXPECT(rt_field_set(t, c, "radius", v) == RT_ERROR_THROWN); /* an Integer, not a Float */
  char text[256];
  size_t length = 0;
  CHECK(rt_exception_text(t, text, sizeof text, &length));
  EXPECT(strstr(text, "holds Float, not Integer") != NULL);
  CHECK(rt_exception_clear(t));
  EXPECT(rt_type_new(t, list, &v) == RT_ERROR_THROWN);
  CHECK(rt_exception_clear(t));
  EXPECT(rt_method_invoke(t, c, "describe", &c, 1, &v) == RT_ERROR_THROWN);
  CHECK(rt_exception_clear(t));
  CHECK(rt_method_invoke(t, c, "describe", NULL, 0, &v));
  expect_text(t, v, "circle plate of radius 2.0");
  CHECK(rt_field_get(t, c, "name", &v));
  expect_text(t, v, "plate");
  CHECK(rt_thread_roots_remove(t, roots));

  /* An inline cache over three receiver types, then a fourth and a fifth:
   * hits answer with what was recorded; the fifth type finds the site
   * megamorphic. */
  rt_inline_cache* site = NULL;
  CHECK(rt_inline_cache_create(&site));
  const rt_type* receivers[] = {circle, rectangle, square, shape};
  for (int round = 0; round < 2; ++round) {
    for (uintptr_t i = 0; i < 4; ++i) {
      uintptr_t data = 99;
      CHECK(rt_inline_cache_find(site, receivers[i], &data, &found));
      if (round == 0) {
        EXPECT(found == 0);
        int cached = 0;
        CHECK(rt_inline_cache_record(site, receivers[i], i, &cached));
        EXPECT(cached == 1);
      } else {
        EXPECT(found == 1 && data == i);
      }
    }
  }
  uint32_t state = 0;
  CHECK(rt_inline_cache_state(site, &state));
  EXPECT(state == 4);
  int cached = 1;
  CHECK(rt_inline_cache_record(site, list, 7, &cached));
  EXPECT(cached == 0);
  CHECK(rt_inline_cache_state(site, &state));
  EXPECT(state == 5);
  CHECK(rt_inline_cache_destroy(site));

  CHECK(rt_thread_detach(r, t));
  CHECK(rt_runtime_destroy(r));
  CHECK(rt_tier0_destroy(tier0));
  printf("types C ABI: all checks passed\n");
  return 0;
}
